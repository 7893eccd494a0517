package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
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

// minMetricsToken is the shortest METRICS_TOKEN accepted: the token is the
// only thing between the internet and the operator's metrics.
const minMetricsToken = 16

// checkMetricsToken accepts "" (off) or a bearer token of RFC 6750's
// b64token syntax, at least minMetricsToken characters long: anything else
// could not be sent in an Authorization header as written, or is too
// short to guess-proof.
func checkMetricsToken(tok string) error {
	if tok == "" {
		return nil
	}
	body := strings.TrimRight(tok, "=")
	valid := body != ""
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~+/", c) >= 0) {
			valid = false
			break
		}
	}
	if !valid {
		return errors.New("METRICS_TOKEN may contain only letters, digits and - . _ ~ + / (then = signs), as a bearer token; generate one with `openssl rand -hex 32`")
	}
	if len(tok) < minMetricsToken {
		return fmt.Errorf("METRICS_TOKEN must be at least %d characters long, not %d; generate one with `openssl rand -hex 32`", minMetricsToken, len(tok))
	}
	return nil
}

// checkListen accepts "" (off) or host:port with a numeric port (0 asks
// the kernel for a free one); the host may be empty (every interface).
func checkListen(name, addr string) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err == nil && strings.ContainsAny(host, " /") {
		err = errors.New("bad host")
	}
	if err == nil {
		if p, perr := strconv.Atoi(port); perr != nil || p < 0 || p > 65535 || port != strconv.Itoa(p) {
			err = errors.New("bad port")
		}
	}
	if err != nil {
		return fmt.Errorf("%s must be host:port, such as 127.0.0.1:9090 or :9090, not %q", name, addr)
	}
	return nil
}
