package notify

import (
	"errors"
	"net/url"
	"testing"
)

func TestLaxURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "",
		"  ":                      "",
		" ntfy.example.org ":      "https://ntfy.example.org",
		"http://home.lan/x":       "http://home.lan/x",
		"HTTPS://G.example":       "HTTPS://G.example",
		"javascript:alert(1)":     "javascript:alert(1)", // a scheme: left for the validator to refuse
		"localhost:8080":          "localhost:8080",      // urlsplit's scheme "localhost", as upstream
		"gotify.example.org/path": "https://gotify.example.org/path",
	} {
		if got := LaxURL(in); got != want {
			t.Errorf("LaxURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormPriorities(t *testing.T) {
	for _, tc := range []struct {
		form     url.Values
		down, up int
		field    string
	}{
		{url.Values{}, 3, 3, ""},
		{url.Values{"priority": {"5"}, "priority_up": {"0"}}, 5, 0, ""},
		{url.Values{"priority": {""}, "priority_up": {"-1"}}, 3, -1, ""}, // the range is the kind's
		{url.Values{"priority": {"high"}}, 0, 0, "priority"},
		{url.Values{"priority_up": {"1e3"}}, 0, 0, "priority_up"},
		{url.Values{"priority": {"99999999999999999999"}}, 0, 0, "priority"},
	} {
		down, up, err := FormPriorities(tc.form, 3, "must be a number from 0 to 5")
		var fe *FieldError
		switch {
		case tc.field == "" && (err != nil || down != tc.down || up != tc.up):
			t.Errorf("%v: %d %d %v, want %d %d", tc.form, down, up, err, tc.down, tc.up)
		case tc.field != "" && (!errors.As(err, &fe) || fe.Field != tc.field || fe.Msg != "must be a number from 0 to 5"):
			t.Errorf("%v: %v, want a FieldError on %s", tc.form, err, tc.field)
		}
	}
}
