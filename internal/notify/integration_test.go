package notify_test

import (
	"net/url"
	"testing"

	"github.com/overdue/overdue/internal/notify"
)

func TestFieldErrorText(t *testing.T) {
	flag := func(f string) string { return "--" + f }
	for _, c := range []struct {
		e         notify.FieldError
		text, err string
	}{
		{notify.FieldError{Field: "value", Msg: "must be an email address"}, "--value must be an email address", "value: must be an email address"},
		{notify.FieldError{Msg: "at least one of {up} and {down} must be true"}, "at least one of --up and --down must be true", "at least one of up and down must be true"},
		{notify.FieldError{Msg: "no fields named"}, "no fields named", "no fields named"},
		{notify.FieldError{Msg: "unclosed {brace"}, "unclosed {brace", "unclosed {brace"},
		{notify.FieldError{Field: "x", Msg: "is {x}{y}"}, "--x is --x--y", "x: is xy"},
	} {
		if got := c.e.Text(flag); got != c.text {
			t.Errorf("Text(%+v) = %q, want %q", c.e, got, c.text)
		}
		if got := c.e.Error(); got != c.err {
			t.Errorf("Error(%+v) = %q, want %q", c.e, got, c.err)
		}
	}
}

func TestChecked(t *testing.T) {
	form := url.Values{"on": {"on"}, "true": {"True"}, "zero": {"0"}, "false": {"FALSE"}, "empty": {""}}
	for name, want := range map[string]bool{"on": true, "true": true, "zero": true, "false": false, "empty": false, "absent": false} {
		if got := notify.Checked(form, name); got != want {
			t.Errorf("Checked(%s) = %v, want %v", name, got, want)
		}
	}
}
