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

func TestPyStrip(t *testing.T) {
	// Every code point Python's str.isspace() accepts, and nothing else
	// (python3 -c 'print([hex(c) for c in range(0x110000) if chr(c).isspace()])').
	space := []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
		0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000}
	isSpace := map[rune]bool{}
	for _, r := range space {
		isSpace[r] = true
	}
	for r := rune(0); r <= 0x10ffff; r++ {
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if got := PyStrip(string(r)) == ""; got != isSpace[r] {
			t.Errorf("PyStrip(%U) strips it: %v, Python: %v", r, got, isSpace[r])
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
