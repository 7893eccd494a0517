package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Resolver is the part of *net.Resolver the client uses; tests inject one.
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// ClientOptions configure a Client.
type ClientOptions struct {
	// AllowPrivate is INTEGRATIONS_ALLOW_PRIVATE_IPS: allow loopback,
	// private and link-local targets.
	AllowPrivate bool
	// Timeout bounds a whole request, redirects and body included; 30 s
	// (upstream's) when zero.
	Timeout time.Duration
	// MaxResponseBody is how much of a response body is kept; 64 KiB when
	// zero. The rest is discarded.
	MaxResponseBody int64
	// UserAgent is sent unless a request sets its own; upstream's
	// "healthchecks.io" when "", so receivers that filter on it keep working.
	UserAgent string
	// Resolver resolves host names; net.DefaultResolver when nil.
	Resolver Resolver
	// Dial connects to an address that has already been checked ("ip:port");
	// a net.Dialer when nil.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is used for https when set (tests trust their own server).
	TLSConfig *tls.Config
}

// Response is what came back from a request.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte // at most MaxResponseBody bytes
}

// Client is the one HTTP client every integration uses. It refuses to
// connect to private addresses: the check runs on the addresses a name
// resolves to, before any connection, and again on every redirect hop, so
// neither a DNS answer nor a redirect can point a webhook at the
// operator's own network. Its failures are *Error values with upstream's
// texts, which users see as the channel's last error.
type Client struct {
	o    ClientOptions
	http *http.Client
}

// maxRedirects is upstream's limit.
const maxRedirects = 3

// Error texts shared with upstream (hc/lib/curl.py).
const (
	errPrivate       = "Connections to private IP addresses are not allowed"
	errResolve       = "Could not resolve host"
	errTimeout       = "Connection timed out"
	errConnect       = "Connection failed"
	errTLS           = "TLS handshake failed"
	errRedirects     = "Too many redirects"
	errProtocol      = "HTTP request failed, code: 1" // CURLE_UNSUPPORTED_PROTOCOL: only http and https
	errRequestFailed = "HTTP request failed"
)

// NewClient returns a client with opts' settings.
func NewClient(opts ClientOptions) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxResponseBody <= 0 {
		opts.MaxResponseBody = 64 << 10
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "healthchecks.io"
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	c := &Client{o: opts}
	if c.o.Dial == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: c.control}
		c.o.Dial = d.DialContext
	}
	tr := &http.Transport{
		// Upstream honours http_proxy; Overdue does not, on purpose: through
		// a proxy the proxy does the dialling, and the address check here
		// could not see where a request really goes.
		Proxy:                 nil,
		DialContext:           c.dial,
		TLSClientConfig:       opts.TLSConfig,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: opts.Timeout,
		ForceAttemptHTTP2:     true,
	}
	c.http = &http.Client{
		Transport: tr,
		Timeout:   opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return Fail(errRedirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return Fail(errProtocol)
			}
			return nil
		},
	}
	return c
}

// IsPrivate reports whether ip is an address the client refuses unless
// AllowPrivate is set. It follows Python's ipaddress.is_private as of
// Python 3.14 (upstream's Docker image), which upstream uses: the blocks
// IANA lists as not globally reachable (loopback, RFC 1918, link-local,
// unique-local, "this network", documentation, benchmarking, 6to4, NAT64
// local-use and reserved ranges), less the few globally reachable
// exceptions inside them. Like upstream it does not count 100.64.0.0/10
// (carrier-grade NAT) as private. Unlike upstream, multicast addresses are
// refused as well (Python does not call them private): they are never a
// webhook's real target, and curl could not connect to one anyway.
func IsPrivate(ip netip.Addr) bool {
	// Prefix.Contains never matches an address with a zone, so the zone
	// (fe80::1%eth0) must go before the lookups.
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || ip.IsMulticast() {
		return true
	}
	for _, p := range notPrivatePrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	for _, p := range privatePrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func mustPrefixes(list ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// privatePrefixes are Python's _private_networks (IPv4 and IPv6). IPv4
// addresses mapped into IPv6 are unmapped first, as Python judges them by
// the IPv4 address they carry.
var privatePrefixes = mustPrefixes(
	"0.0.0.0/8", "10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
	"192.0.0.170/31", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
	"203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
	"::1/128", "::/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "2002::/16",
	"3fff::/20", "fc00::/7", "fe80::/10",
)

// notPrivatePrefixes are Python's _private_networks_exceptions: globally
// reachable blocks inside the private ones (anycast services such as
// PCP and TURN, AMT, ORCHIDv2, ...).
var notPrivatePrefixes = mustPrefixes(
	"192.0.0.9/32", "192.0.0.10/32",
	"2001:1::1/128", "2001:1::2/128", "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28",
)

// dial resolves addr's host, refuses private targets before connecting,
// and connects to the first allowed address.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, Fail(errConnect)
	}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		ips = []netip.Addr{ip}
	} else {
		addrs, err := c.o.Resolver.LookupIPAddr(ctx, host)
		if err != nil || len(addrs) == 0 {
			if ctx.Err() != nil {
				return nil, Fail(errTimeout)
			}
			return nil, Fail(errResolve)
		}
		for _, a := range addrs {
			if ip, ok := netip.AddrFromSlice(a.IP); ok {
				ips = append(ips, ip.Unmap())
			}
		}
	}
	if !c.o.AllowPrivate {
		// Any private answer refuses the whole name: a name that resolves
		// to both a public and an internal address is a rebinding attempt
		// or a misconfiguration, and neither should reach the inside.
		for _, ip := range ips {
			if IsPrivate(ip) {
				return nil, Fail(errPrivate)
			}
		}
	}
	var lastErr error = Fail(errConnect)
	for _, ip := range ips {
		conn, err := c.o.Dial(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

// control re-checks the address the socket is about to connect to. dial
// already checked it; this is the last line should anything else ever
// hand the dialer an address.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	if c.o.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil || IsPrivate(ap.Addr()) {
		return Fail(errPrivate)
	}
	return nil
}

// Do sends req and returns the response, whatever its status.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	if req.URL == nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") {
		return nil, Fail(errProtocol)
	}
	req = req.WithContext(ctx)
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.o.UserAgent)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*") // as curl, which upstream sends with
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, classify(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.o.MaxResponseBody))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) && ctx.Err() == nil {
			return nil, Fail(curlCode(18)) // CURLE_PARTIAL_FILE: the body was cut short
		}
		return nil, classify(ctx, err)
	}
	// Drain a little more so a short remainder doesn't cost the connection;
	// a long one is cut off with the connection.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return &Response{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// Send is Do that treats every status but 200, 201, 202 and 204 as a
// failure, "Received status code N", as upstream does.
func (c *Client) Send(ctx context.Context, req *http.Request) (*Response, error) {
	resp, err := c.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	switch resp.StatusCode {
	case http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent:
		return resp, nil
	}
	return resp, Fail(fmt.Sprintf("Received status code %d", resp.StatusCode))
}

// Attempts is how many times upstream's curl wrapper tries an integration's
// HTTP request before it records the failure (test notifications: once).
const Attempts = 3

// SendAttempts is Send tried up to n times in a row, as upstream's curl
// wrapper retries every HTTP integration; a permanent error or a done ctx
// stops it early. A body is replayed through req.GetBody, which
// http.NewRequest sets for in-memory bodies. The outbox may retry the whole
// send later.
func (c *Client) SendAttempts(ctx context.Context, req *http.Request, n int) (*Response, error) {
	for i := 1; ; i++ {
		resp, err := c.Send(ctx, req)
		if err == nil || i >= n || IsPermanent(err) || ctx.Err() != nil {
			return resp, err
		}
		if req.GetBody != nil {
			body, gerr := req.GetBody()
			if gerr != nil {
				return resp, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
	}
}

// classify turns a transport error into one of upstream's short texts.
// URLs are never included: they may carry tokens.
func classify(ctx context.Context, err error) error {
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	var netErr net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return Fail(errTimeout)
	case ctx.Err() != nil:
		return Fail(errTimeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return Fail(errResolve)
	}
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	if errors.As(err, &recErr) || errors.As(err, &certErr) || errors.As(err, &alert) || strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:") {
		return Fail(errTLS)
	}
	// Past connecting, upstream reports curl's error code: the same cases
	// get the same codes here.
	var opErr *net.OpError
	isOp := errors.As(err, &opErr)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), isOp && opErr.Op == "dial":
		return Fail(errConnect)
	case isOp && opErr.Op == "write":
		return Fail(curlCode(55)) // CURLE_SEND_ERROR
	case errors.Is(err, syscall.ECONNRESET), isOp:
		return Fail(curlCode(56)) // CURLE_RECV_ERROR
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed idle connection"):
		// Connected, but the server hung up without an answer.
		return Fail(curlCode(52)) // CURLE_GOT_NOTHING
	}
	return Fail(errRequestFailed)
}

// curlCode is upstream's text for a curl error without a text of its own.
func curlCode(n int) string { return errRequestFailed + ", code: " + strconv.Itoa(n) }
