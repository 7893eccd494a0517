package api

import (
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/ping"
)

func TestParsePingPath(t *testing.T) {
	t.Parallel()
	const u = "0b5cd2a1-1b0d-4b89-9e2e-9d6f1b2c3d4e"
	cases := []struct {
		in                   string
		ok                   bool
		code, key, slug, act string
		exit                 int // -1: none
		tooLarge             bool
	}{
		{u, true, u, "", "", "success", -1, false},
		{u + "/", true, u, "", "", "success", -1, false},
		{u + "/start", true, u, "", "", "start", -1, false},
		{u + "/fail", true, u, "", "", "fail", -1, false},
		{u + "/log", true, u, "", "", "log", -1, false},
		{u + "/0", true, u, "", "", "success", 0, false},
		{u + "/000", true, u, "", "", "success", 0, false},
		{u + "/42", true, u, "", "", "fail", 42, false},
		{u + "/256", true, u, "", "", "fail", -1, true},
		{u + "/" + strings.Repeat("9", 40), true, u, "", "", "fail", -1, true},
		{u + "/" + strings.Repeat("0", 40) + "7", true, u, "", "", "fail", 7, false},
		// Not a UUID route: read as ping key + slug.
		{u + "/foo", true, "", u, "foo", "success", -1, false},
		{strings.ToUpper(u) + "/start", true, "", strings.ToUpper(u), "start", "success", -1, false},
		{"key/slug", true, "", "key", "slug", "success", -1, false},
		{"key/slug/fail", true, "", "key", "slug", "fail", -1, false},
		{"key/slug/3", true, "", "key", "slug", "fail", 3, false},
		{"key/Slug_-9", true, "", "key", "Slug_-9", "success", -1, false},
		{"", false, "", "", "", "", -1, false},
		{strings.ToUpper(u), false, "", "", "", "", -1, false},
		{u + "/fail/", false, "", "", "", "", -1, false},
		// Django reads "-1" as a slug (404 later), not as an exit status.
		{u + "/-1", true, "", u, "-1", "success", -1, false},
		{"key/slug/", false, "", "", "", "", -1, false},
		{"key/slug/bogus", false, "", "", "", "", -1, false},
		{"key/sl.ug", false, "", "", "", "", -1, false},
		{"key/slüg", false, "", "", "", "", -1, false},
		{"key//x", false, "", "", "", "", -1, false},
		{"a/b/c/d", false, "", "", "", "", -1, false},
	}
	for _, tc := range cases {
		rt, ok := parsePingPath(tc.in)
		if ok != tc.ok {
			t.Errorf("%q: ok=%v, want %v", tc.in, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		exit := -1
		if rt.exitStatus != nil {
			exit = *rt.exitStatus
		}
		if rt.code != tc.code || rt.pingKey != tc.key || rt.slug != tc.slug || string(rt.action) != tc.act || exit != tc.exit || rt.tooLarge != tc.tooLarge {
			t.Errorf("%q: got %+v (exit %d), want code=%q key=%q slug=%q action=%q exit=%d tooLarge=%v",
				tc.in, rt, exit, tc.code, tc.key, tc.slug, tc.act, tc.exit, tc.tooLarge)
		}
	}
}

// FuzzParsePingPath: no input panics, and an accepted route is internally
// consistent (exactly one of the UUID or the slug form; exit statuses 0-255).
func FuzzParsePingPath(f *testing.F) {
	for _, s := range []string{"0b5cd2a1-1b0d-4b89-9e2e-9d6f1b2c3d4e/12", "k/s/start", "k/s/999", "/", "a/b/c/d", "x/\x00/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rt, ok := parsePingPath(s)
		if !ok {
			return
		}
		if (rt.code == "") == (rt.pingKey == "") {
			t.Fatalf("%q: both or neither of code/key set: %+v", s, rt)
		}
		if rt.code != "" && !ping.IsCanonicalUUID(rt.code) {
			t.Fatalf("%q: bad code %q", s, rt.code)
		}
		if rt.pingKey != "" && (!isSlugToken(rt.pingKey) || !isSlugToken(rt.slug)) {
			t.Fatalf("%q: bad key/slug %+v", s, rt)
		}
		if rt.exitStatus != nil && (*rt.exitStatus < 0 || *rt.exitStatus > 255 || rt.tooLarge) {
			t.Fatalf("%q: exit status %d tooLarge=%v", s, *rt.exitStatus, rt.tooLarge)
		}
		switch rt.action {
		case "success", "start", "fail", "log":
		default:
			t.Fatalf("%q: action %q", s, rt.action)
		}
	})
}

func TestTruncateCountsCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"äöüß", 2, "äö"},
		{strings.Repeat("é", 300), 200, strings.Repeat("é", 200)},
		{"", 3, ""},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
