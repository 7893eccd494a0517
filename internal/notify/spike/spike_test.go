package spike

import (
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestSuite(t *testing.T) {
	in := Integration()
	notifytest.Suite{
		Integration: in,
		Value:       func(base string) string { return base + "/abcdef/push-events" },
		Method:      "POST", URI: "/abcdef/push-events",
		Header: map[string]string{"User-Agent": "healthchecks.io"},
	}.Run(t)

	// Upstream's words when the kind is off name it "Spike".
	srv := notifytest.NewServer(t)
	tr, err := in.Transport(notify.Deps{Client: notifytest.Client(0), Getenv: func(k string) (string, bool) { return "False", k == "SPIKE_ENABLED" }})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = srv.URL
	if err := tr.Send(t.Context(), m); notify.ErrorText(err) != "Spike notifications are not enabled." || notify.IsPermanent(err) || len(srv.Requests()) != 0 {
		t.Errorf("disabled: %v", err)
	}
}

func TestFields(t *testing.T) {
	want := Payload{CheckID: "e8fe589f92417e6241d280fb19c9071abb18e584", Status: "down",
		Title:   "Daily Backup is DOWN (success signal did not arrive on time, grace time passed)",
		Message: "Daily Backup is DOWN (success signal did not arrive on time, grace time passed).\n\nLast ping: Success, 10 minutes ago."}
	if got := Render(notifytest.Message(model.StatusDown)); got != want {
		t.Errorf("down:\n%+v\nwant\n%+v", got, want)
	}
	want = Payload{CheckID: want.CheckID, Status: "up", Title: "Daily Backup is UP", Message: "Daily Backup is UP."}
	if got := Render(notifytest.Message(model.StatusUp)); got != want {
		t.Errorf("up:\n%+v\nwant\n%+v", got, want)
	}
}
