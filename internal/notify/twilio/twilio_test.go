package twilio

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/notify"
)

func TestCleanPhone(t *testing.T) {
	for _, c := range []struct{ in, want, err string }{
		{"+15555550100", "+15555550100", ""},
		{" +1 555-555-0100 ", "+15555550100", ""},
		{"+1 555\u00a0555 0100", "+15555550100", ""}, // non-ASCII dropped, as upstream
		{"+12345", "+12345", ""},
		{"+1234", "", ErrPhone},
		{"+1234567890123456", "", ErrPhone},
		{"15555550100", "", ErrPhone},
		{"+1555555010a", "", ErrPhone},
		{"+1(555)5550100", "", ErrPhone},
		{"<script>", "", ErrPhone},
		{"", "", "is required"},
		{" - ", "", "is required"},
	} {
		got, err := CleanPhone(c.in)
		var fe *notify.FieldError
		if c.err == "" && (err != nil || got != c.want) || c.err != "" && (!errors.As(err, &fe) || fe.Field != "phone" || fe.Msg != c.err) {
			t.Errorf("CleanPhone(%q) = %q, %v; want %q, %q", c.in, got, err, c.want, c.err)
		}
	}
}

func TestForms(t *testing.T) {
	v, err := UpDownFromForm(url.Values{"phone": {"+1 555 555 0100"}, "down": {"on"}})
	if err != nil || v != `{"value":"+15555550100","up":false,"down":true}` {
		t.Fatalf("%s %v", v, err)
	}
	if up, down := Events(v); up || !down {
		t.Errorf("Events(%s) = %v %v", v, up, down)
	}
	if err := ValidateUpDown(v); err != nil {
		t.Error(err)
	}
	if got := ToForm(v); got.Encode() != "down=on&phone=%2B15555550100" {
		t.Errorf("ToForm = %s", got.Encode())
	}
	var fe *notify.FieldError
	if _, err := UpDownFromForm(url.Values{"phone": {"+15555550100"}}); !errors.As(err, &fe) || fe.Field != "" {
		t.Errorf("neither event: %v", err)
	}
	if _, err := UpDownFromForm(url.Values{"phone": {strings.Repeat("1", 41)}, "up": {"on"}}); !errors.As(err, &fe) || fe.Field != "phone" {
		t.Errorf("oversized: %v", err)
	}
	if _, err := UpDownFromForm(url.Values{"phone": {"+" + strings.Repeat(" ", 1000) + "15555550100"}, "up": {"on"}}); err == nil {
		t.Error("1,000 spaces accepted")
	}
	v, err = PhoneFromForm(url.Values{"phone": {"+371 2000 0000"}, "up": {"on"}})
	if err != nil || v != `{"value":"+37120000000"}` {
		t.Fatalf("%s %v", v, err)
	}
	if up, down := Events(v); up || down {
		t.Errorf("Events(%s) = %v %v: call's value has no flags (its kind is down only)", v, up, down)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"", "{", "[]", `{"value": 5}`, `{"value": "+1 555 555 0100"}`, `{"value": "x"}`, `{"value": "+15555550100", "up": "yes"}`} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if err := ValidateUpDown(`{"value": "+15555550100", "up": false, "down": false}`); err == nil {
		t.Error("a value with neither event is valid")
	}
	// Upstream's PhoneConf: a missing flag is None, which sends nothing.
	if up, down := Events(`{"value": "+15555550100"}`); up || down {
		t.Error("missing flags must be no-ops")
	}
}
