package notify

// Audit of the compatibility spec (§4.5 transport mechanics, §9.1 SSRF)
// against this package: rules that no other test pinned exactly.

import (
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// §9.1: "private" is Python's ipaddress.is_private as upstream's Docker
// image (Python 3.14) has it, exceptions included. The expectations are
// Python 3.14's answers, read from CPython's Lib/ipaddress.py.
func TestSpecIsPrivateIsPython314(t *testing.T) {
	cases := map[string]bool{
		// IPv4 blocks and their exceptions.
		"192.0.0.1": true, "192.0.0.8": true, "192.0.0.9": false, "192.0.0.10": false, "192.0.0.11": true,
		"192.0.0.170": true, "192.0.0.171": true, "192.0.0.172": true, // 192.0.0.0/24 covers 192.0.0.170/31 too
		"192.0.1.1": false, "172.15.255.255": false, "172.32.0.1": false, "172.31.255.255": true,
		"100.63.255.255": false, "100.64.0.0": false, "100.127.255.255": false, // CGNAT: not private (⚠)
		"239.255.255.255": true, "224.0.0.251": true, // multicast: Overdue refuses it as well (see IsPrivate)
		"::ffff:192.0.0.9": false, "::ffff:169.254.169.254": true,
		// IPv6 blocks Python counts as private.
		"2002::1": true, "2002:7f00:1::": true, // 6to4
		"64:ff9b:1::1": true,                       // NAT64 local use
		"3fff::1":      true,                       // documentation (RFC 9637)
		"100::1":       true, "100:0:0:1::": false, // discard-only is a /64
		"2001::1": true, "2001:1ff::1": true, "2001:200::1": false, // 2001::/23
		"2001:10::1":       true, // ORCHID (old), inside 2001::/23
		"2001:db8:ffff::1": true, "2001:db9::1": false,
		"fe80::1": true, "febf::1": true, "fec0::1": false, "fc00::1": true, "fdff::1": true,
		// Python's globally reachable exceptions inside 2001::/23.
		"2001:1::1": false, "2001:1::2": false, "2001:1::3": true, "2001:3::5": false, "2001:4:112::1": false,
		"2001:4:113::1": true, "2001:20::1": false, "2001:2f::1": false, "2001:30::1": false, "2001:3f::1": false,
		"2001:40::1": true,
		// NAT64 well-known prefix: not private to Python (so not to upstream).
		"64:ff9b::808:808": false,
		"ff02::1":          true, // multicast (Overdue's addition)
	}
	for s, want := range cases {
		if got := IsPrivate(netip.MustParseAddr(s)); got != want {
			t.Errorf("IsPrivate(%s) = %v, want %v", s, got, want)
		}
	}
}

// A zone never hides a private address: fe80::1%eth0 is link-local.
func TestSpecIsPrivateIgnoresZones(t *testing.T) {
	for _, s := range []string{"fe80::1%eth0", "::1%lo", "fd00::1%1"} {
		if !IsPrivate(netip.MustParseAddr(s)) {
			t.Errorf("IsPrivate(%s) = false", s)
		}
	}
	g := &guardedDial{t: t}
	c := NewClient(ClientOptions{Dial: g.dial})
	_, err := get(t, c, "http://[fe80::1%25eth0]:8080/")
	wantErrText(t, err, "Connections to private IP addresses are not allowed")
	if g.dials.Load() != 0 {
		t.Errorf("a connection was attempted to %v", g.targets)
	}
}

// §4.5: 30 s per attempt, the default User-Agent, and (deliberately, see
// README "Outgoing requests") no http_proxy: a proxy would do the
// dialling, and the private-address check could not see the real target.
func TestSpecClientDefaults(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://proxy.example:3128")
	t.Setenv("HTTPS_PROXY", "http://proxy.example:3128")
	c := NewClient(ClientOptions{})
	if c.o.Timeout != 30*time.Second || c.http.Timeout != 30*time.Second {
		t.Errorf("timeout %v / %v, want upstream's 30 s", c.o.Timeout, c.http.Timeout)
	}
	if c.o.UserAgent != "healthchecks.io" {
		t.Errorf("User-Agent %q", c.o.UserAgent)
	}
	tr, ok := c.http.Transport.(*http.Transport)
	if !ok || tr.Proxy != nil {
		t.Errorf("the transport uses a proxy function; http_proxy must not be honoured")
	}
	if c.o.AllowPrivate {
		t.Errorf("private targets allowed by default")
	}
}
