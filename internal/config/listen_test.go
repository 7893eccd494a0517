package config

import (
	"strings"
	"testing"
)

func TestSiteRootForListen(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:8799", "http://127.0.0.1:8799"},
		{"0.0.0.0:8000", "http://localhost:8000"},
		{"[::]:8000", "http://localhost:8000"},
		{":9000", "http://localhost:9000"},
		{"[::1]:8000", "http://[::1]:8000"},
		{"192.0.2.7:80", "http://192.0.2.7:80"},
		{"hc.example:8000", "http://hc.example:8000"},
		{"garbage", "http://localhost:8000"},
	} {
		if got := SiteRootForListen(tc.addr); got != tc.want {
			t.Errorf("SiteRootForListen(%q) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// The derived root must itself be a valid SITE_ROOT.
func TestSiteRootForListenLoads(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:8799", "[::1]:8000", "0.0.0.0:1"} {
		root := SiteRootForListen(addr)
		c, err := Load(envOf(map[string]string{"SITE_ROOT": root}))
		if err != nil {
			t.Fatalf("Load with SITE_ROOT=%s: %v", root, err)
		}
		if c.PingEndpoint != root+"/ping/" {
			t.Errorf("PING_ENDPOINT = %q, want %q", c.PingEndpoint, root+"/ping/")
		}
	}
}

func TestSiteRootMismatch(t *testing.T) {
	for _, tc := range []struct {
		root, addr string
		warn       bool
	}{
		{"http://localhost:8000", "127.0.0.1:8799", true},
		{"http://127.0.0.1:8000", "127.0.0.1:8000", false},
		{"http://localhost", "127.0.0.1:80", false},
		{"https://localhost", "127.0.0.1:8443", true},
		{"http://[::1]:8000", "[::1]:9000", true},
		{"http://192.0.2.7:8000", "192.0.2.7:9000", true},
		// A public name in front of a loopback listener is a reverse proxy.
		{"https://hc.example.org", "127.0.0.1:8000", false},
		{"http://hc.example.org:8000", "127.0.0.1:9000", false},
		{"::not a url", "127.0.0.1:8000", false},
	} {
		got := SiteRootMismatch(tc.root, tc.addr)
		if (got != "") != tc.warn {
			t.Errorf("SiteRootMismatch(%q, %q) = %q, want warning %v", tc.root, tc.addr, got, tc.warn)
		}
		if got != "" && (!strings.Contains(got, tc.root) || !strings.Contains(got, tc.addr)) {
			t.Errorf("warning %q names neither SITE_ROOT nor the address", got)
		}
	}
}
