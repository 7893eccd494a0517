package pagertree

import (
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return base + "/integration/int_abc" },
		Method:      "POST", URI: "/integration/int_abc",
		Header:  map[string]string{"User-Agent": "healthchecks.io"},
		Disable: map[string]string{"PAGERTREE_ENABLED": "False"},
	}.Run(t)
}

func TestFields(t *testing.T) {
	down := Render(notifytest.Message(model.StatusDown))
	want := Payload{
		IncidentKey: "e8fe589f92417e6241d280fb19c9071abb18e584", EventType: "trigger",
		Title:       "Daily Backup is DOWN (success signal did not arrive on time, grace time passed)",
		Description: "Daily Backup is DOWN (success signal did not arrive on time, grace time passed).\n\nLast ping: Success, 10 minutes ago.",
		Client:      "Overdue", ClientURL: "https://hc.example.org", Tags: "prod db",
	}
	if down != want {
		t.Errorf("down:\n%+v\nwant\n%+v", down, want)
	}
	if up := Render(notifytest.Message(model.StatusUp)); up.EventType != "resolve" || up.IncidentKey != want.IncidentKey || up.Description != "Daily Backup is UP." {
		t.Errorf("up: %+v", up)
	}
	// The description is HTML in PagerTree: the name cannot add markup there.
	hostile := Render(notifytest.Cases()[5].Msg)
	if strings.ContainsAny(hostile.Description, "<>") || !strings.HasPrefix(hostile.Description, "&lt;b&gt;x&lt;/b&gt; &amp; &lt;!channel&gt;") {
		t.Errorf("description %q", hostile.Description)
	}
}
