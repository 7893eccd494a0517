package config

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// SiteRootForListen is the SITE_ROOT a server bound to addr (host:port, as
// net.Listener reports it) is reachable at from the machine itself, used
// when the operator set no SITE_ROOT: an API answer's ping_url must point
// where pings are accepted, not at a default port nobody listens on. A
// wildcard address (0.0.0.0, ::) becomes localhost.
func SiteRootForListen(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://localhost:8000"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		switch {
		case ip.IsUnspecified():
			host = "localhost"
		case ip.Is6() && !ip.Is4In6():
			host = "[" + ip.String() + "]"
		}
	} else if host == "" {
		host = "localhost"
	}
	return "http://" + host + ":" + port
}

// SiteRootMismatch explains, in one sentence, why SITE_ROOT cannot reach a
// server bound to addr; "" when it plausibly can. Only a SITE_ROOT naming this
// machine (localhost or a loopback or the bound address) is judged: any other
// host is presumably a reverse proxy in front of the listener, which is the
// normal production set-up.
func SiteRootMismatch(siteRoot, addr string) string {
	u, err := url.Parse(siteRoot)
	if err != nil {
		return ""
	}
	lhost, lport, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	local := host == "localhost" || host == strings.ToLower(lhost)
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		local = true
	}
	if !local {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	if port == lport {
		return ""
	}
	return "SITE_ROOT " + siteRoot + " names this machine on port " + port + " but the server listens on " + addr +
		"; ping and badge URLs in API answers and emails will not reach it"
}
