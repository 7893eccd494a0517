package api

import (
	"net/http"
	"testing"
	"time"
)

// The pre-built Expires value must be exactly what formatting the clock at
// each ping gave: the date of the ping's own second, never a stale one.
func TestPingHeadersExpires(t *testing.T) {
	t.Parallel()
	h := newPingHeaders(100)
	base := time.Date(2026, 12, 7, 13, 0, 0, 0, time.FixedZone("EET", 2*3600))
	for _, d := range []time.Duration{0, 999 * time.Millisecond, time.Second, time.Second + time.Nanosecond, time.Hour, -time.Hour} {
		now := base.Add(d)
		got := h.expiresAt(now)
		if want := now.UTC().Format(http.TimeFormat); len(got) != 1 || got[0] != want {
			t.Errorf("expiresAt(%v) = %q, want [%q]", now, got, want)
		}
	}
	if got := h.bodyLimit; len(got) != 1 || got[0] != "100" || cap(got) != 1 {
		t.Errorf("bodyLimit = %q (cap %d), want [\"100\"] with cap 1", got, cap(got))
	}
	for n, v := range h.lengths {
		if len(v) != 1 || cap(v) != 1 {
			t.Fatalf("lengths[%d] = %q (cap %d): an Add would write into the shared array", n, v, cap(v))
		}
	}
}

// splitPath must split as strings.Split does for the segments a ping path
// can have, and keep a longer tail whole.
func TestSplitPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{""}},
		{"abc", []string{"abc"}},
		{"abc/", []string{"abc", ""}},
		{"key/slug/fail", []string{"key", "slug", "fail"}},
		{"a/b/c/d", []string{"a", "b", "c", "d"}},
		{"a/b/c/d/e/", []string{"a", "b", "c", "d/e/"}},
		{"//", []string{"", "", ""}},
	} {
		buf, n := splitPath(tc.in)
		got := buf[:n]
		if len(got) != len(tc.want) {
			t.Errorf("splitPath(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("splitPath(%q) = %q, want %q", tc.in, got, tc.want)
				break
			}
		}
	}
}

// remoteAddr parses with netip, which accepts zones where net.ParseIP did
// not: a zoned value must still go through the "a.b.c.d:port" rule as it
// did before.
func TestRemoteAddrNetip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ xff, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"192.0.2.1:8080", "192.0.2.1"},
		{"2001:db8::1", "2001:db8::1"},
		{"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
		{"fe80::1%eth0", "fe80::1%eth0"},
		{"fe80::1%a.b.c.d:5", "fe80"},
		{"not an ip", "not an ip"},
	} {
		r, _ := http.NewRequest("GET", "http://hc.example/ping/x", nil)
		r.RemoteAddr = "127.0.0.1:1234"
		r.Header.Set("X-Forwarded-For", tc.xff)
		if got := remoteAddr(r); got != tc.want {
			t.Errorf("remoteAddr(X-Forwarded-For: %q) = %q, want %q", tc.xff, got, tc.want)
		}
	}
}
