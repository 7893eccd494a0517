package notify_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

func TestWebhookKindForm(t *testing.T) {
	in := notify.WebhookKind{Kind: "x", Name: "X", Switch: "X_ENABLED", Label: "URL", Render: func(*notify.Message) any { return nil }}.Integration()
	if len(in.Fields) != 1 || in.Fields[0].Name != "value" || in.Fields[0].MaxLen != 1000 || !in.Fields[0].Required {
		t.Errorf("fields %+v", in.Fields)
	}
	for _, c := range []struct{ in, value, err string }{
		{" hooks.example.org/a?b=c ", "https://hooks.example.org/a?b=c", ""},
		{"http://localhost:8080/x", "http://localhost:8080/x", ""},
		{"", "", "value: is required"},
		{"not a url", "", "value: must be an http:// or https:// URL"},
		{"ftp://example.org/", "", "value: must be an http:// or https:// URL"},
		{"javascript:alert(1)", "", "value: must be an http:// or https:// URL"},
		{"https://example.org/" + strings.Repeat("a", 1000), "", "value: must be an http:// or https:// URL"},
	} {
		v, err := in.FromForm(url.Values{"value": {c.in}})
		var fe *notify.FieldError
		if c.err == "" && (err != nil || v != c.value) || c.err != "" && (!errors.As(err, &fe) || !strings.HasPrefix(err.Error(), c.err)) {
			t.Errorf("FromForm(%q) = %q, %v; want %q, %q", c.in, v, err, c.value, c.err)
		}
		if c.err == "" && in.Validate(v) != nil {
			t.Errorf("Validate(%q): %v", v, in.Validate(v))
		}
	}
	if in.Validate("[]") == nil || in.Validate("") == nil {
		t.Error("Validate takes a value that is no URL")
	}
	if up, down := in.Events("anything"); !up || !down {
		t.Error("a webhook kind takes both events")
	}
	if len(in.Settings) != 1 || in.Settings[0].Name != "X_ENABLED" || in.Settings[0].Default != "True" {
		t.Errorf("settings %+v", in.Settings)
	}
	for v, want := range map[string]bool{"True": true, "False": false, "": false} {
		if got := in.Enabled(func(string) string { return v }); got != want {
			t.Errorf("X_ENABLED=%q: enabled %v", v, got)
		}
	}
	if always := (notify.WebhookKind{Kind: "y", Name: "Y"}).Integration(); always.Enabled != nil || always.Settings != nil {
		t.Error("a kind without a Switch is always enabled")
	}
	if _, err := in.New(notify.Deps{}); err == nil {
		t.Error("New without a client must fail")
	}
}

func TestHeadlineSummary(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	m := &notify.Message{Status: model.StatusDown, Now: now, Flip: model.Flip{Reason: "fail"},
		Check:    model.Check{Code: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e", Name: "A & <b>"},
		LastPing: &model.Ping{Created: now.Add(-10 * time.Minute)}}
	if got := notify.Headline(m); got != "A & <b> is DOWN (received a failure signal)" {
		t.Errorf("Headline = %q", got)
	}
	if got := notify.Summary(m); got != "A & <b> is DOWN (received a failure signal).\n\nLast ping: Success, 10 minutes ago." {
		t.Errorf("Summary = %q", got)
	}
	m.LastPing = nil
	if got := notify.Summary(m); got != "A & <b> is DOWN (received a failure signal)." {
		t.Errorf("Summary without a ping = %q", got)
	}
	m.Status, m.Flip.Reason, m.Check.Name, m.LastPing = model.StatusUp, "", "", &model.Ping{Created: now}
	if got := notify.Summary(m); got != "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e is UP." {
		t.Errorf("Summary of up = %q", got)
	}
}
