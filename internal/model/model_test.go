package model

import (
	"slices"
	"testing"
)

func TestTagsList(t *testing.T) {
	for tags, want := range map[string][]string{
		"":             nil,
		"foo":          {"foo"},
		" foo  bar ":   {"foo", "bar"},
		"bar,baz qux":  {"bar,baz", "qux"},
		"a\tb c":       {"a\tb", "c"},
		"   ":          nil,
		"prod prod":    {"prod", "prod"},
		"ünïcode  tag": {"ünïcode", "tag"},
		// Python's str.strip trims U+001C..U+001F and Unicode spaces too.
		"\x1cfoo\x1f \u3000bar\u00a0": {"foo", "bar"},
		"\x1d \x1e":                   nil,
		"foo\u200bbar":                {"foo\u200bbar"}, // not whitespace to Python either
	} {
		c := Check{Tags: tags}
		if got := c.TagsList(); !slices.Equal(got, want) {
			t.Errorf("TagsList(%q) = %q, want %q", tags, got, want)
		}
	}
}

func TestUniqueKey(t *testing.T) {
	// Python: hashlib.sha1(b"e4d909c290d0fb1c").hexdigest(), which is what
	// upstream computes from this UUID.
	c := Check{Code: "e4d909c2-90d0-fb1c-a068-ffaddf22cbd0"}
	if got, want := c.UniqueKey(), "0cbe91809d83f27898afa35d9fb47da4b9ef17db"; got != want {
		t.Errorf("UniqueKey = %s, want %s", got, want)
	}
}

func TestNameThenCode(t *testing.T) {
	if got := (&Check{Name: "backup", Code: "x"}).NameThenCode(); got != "backup" {
		t.Errorf("named check: %q", got)
	}
	if got := (&Check{Code: "e4d909c2-90d0-fb1c-a068-ffaddf22cbd0"}).NameThenCode(); got != "e4d909c2-90d0-fb1c-a068-ffaddf22cbd0" {
		t.Errorf("unnamed check: %q", got)
	}
}
