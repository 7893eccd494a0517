package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestIsPrivate(t *testing.T) {
	cases := map[string]bool{
		"127.0.0.1": true, "127.255.0.9": true, "10.0.0.1": true, "172.16.5.4": true, "192.168.1.1": true,
		"169.254.169.254": true, "0.0.0.0": true, "0.1.2.3": true, "192.0.2.10": true, "198.51.100.1": true,
		"203.0.113.5": true, "198.18.0.1": true, "240.0.0.1": true, "255.255.255.255": true, "224.0.0.1": true,
		"::1": true, "::": true, "fe80::1": true, "fc00::1": true, "fd12:3456::1": true, "2001:db8::1": true,
		"::ffff:127.0.0.1": true, "::ffff:10.1.2.3": true,
		"93.184.216.34": false, "8.8.8.8": false, "1.1.1.1": false, "2606:4700:4700::1111": false,
		"100.64.0.1":           false, // carrier-grade NAT: not private to Python's ipaddress, so not to upstream
		"::ffff:93.184.216.34": false,
	}
	for s, want := range cases {
		if got := IsPrivate(netip.MustParseAddr(s)); got != want {
			t.Errorf("IsPrivate(%s) = %v, want %v", s, got, want)
		}
	}
}

// fakeResolver answers from a map; unknown names fail like NXDOMAIN.
type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// guardedDial connects only to loopback, or to the one public address the
// test maps to a loopback listener. Any other target fails the test: no
// test here ever sends a packet off this machine.
type guardedDial struct {
	t       *testing.T
	public  string // "ip:port" that stands for the redirecting server
	mapTo   string // the loopback listener it really goes to
	dials   atomic.Int32
	mu      sync.Mutex
	targets []string
}

func (g *guardedDial) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	g.dials.Add(1)
	g.mu.Lock()
	g.targets = append(g.targets, addr)
	g.mu.Unlock()
	if addr == g.public && g.mapTo != "" {
		addr = g.mapTo
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().IsLoopback() {
		g.t.Errorf("a connection to %s was attempted; tests may only reach loopback", addr)
		return nil, errors.New("refused by the test")
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

func wantErrText(t *testing.T, err error, want string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Msg != want {
		t.Fatalf("err = %v (%T), want *Error %q", err, err, want)
	}
}

func get(t *testing.T, c *Client, url string) (*Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Send(context.Background(), req)
}

func TestClientRefusesPrivateTargetsBeforeConnecting(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the private target was reached: %s", r.URL)
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, url := range []string{
		"http://127.0.0.1:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[::ffff:127.0.0.1]:" + port + "/",
		"http://[fe80::1]/",
		"http://0.0.0.0:" + port + "/",
		"http://loopback.example:" + port + "/",
		"http://mixed.example/",
		"http://metadata.example/",
	} {
		t.Run(url, func(t *testing.T) {
			g := &guardedDial{t: t}
			c := NewClient(ClientOptions{Dial: g.dial, Resolver: fakeResolver{
				"loopback.example": {"127.0.0.1"},
				"mixed.example":    {"93.184.216.34", "10.0.0.1"},
				"metadata.example": {"169.254.169.254"},
			}})
			_, err := get(t, c, url)
			wantErrText(t, err, "Connections to private IP addresses are not allowed")
			if n := g.dials.Load(); n != 0 {
				t.Errorf("%d connections were attempted, want none", n)
			}
		})
	}
}

// A public server that redirects to a private address: the redirect is
// refused before its connection is made.
func TestClientRefusesRedirectToPrivate(t *testing.T) {
	var inner atomic.Int32
	private := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { inner.Add(1) }))
	defer private.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, private.URL+"/secret", http.StatusFound)
	}))
	defer redirector.Close()
	g := &guardedDial{t: t, public: "93.184.216.34:80", mapTo: redirector.Listener.Addr().String()}
	c := NewClient(ClientOptions{Dial: g.dial, Resolver: fakeResolver{"public.example": {"93.184.216.34"}}})
	_, err := get(t, c, "http://public.example/hook")
	wantErrText(t, err, "Connections to private IP addresses are not allowed")
	if inner.Load() != 0 {
		t.Errorf("the private server was reached through the redirect")
	}
	if g.dials.Load() != 1 {
		t.Errorf("dials = %d (%v), want exactly the one to the public address", g.dials.Load(), g.targets)
	}
}

func TestClientAllowPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "ua=%s", r.UserAgent())
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	resp, err := get(t, c, srv.URL)
	if err != nil || resp.StatusCode != 200 || string(resp.Body) != "ua=healthchecks.io" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}

func TestClientStatusAndErrors(t *testing.T) {
	mux := http.NewServeMux()
	for _, code := range []int{200, 201, 202, 204, 301, 400, 404, 500} {
		mux.HandleFunc(fmt.Sprintf("/status/%d", code), func(w http.ResponseWriter, r *http.Request) {
			if code == 301 {
				w.Header().Set("Location", "ftp://example.org/")
			}
			w.WriteHeader(code)
		})
	}
	var hops atomic.Int32
	mux.HandleFunc("/hop/", func(w http.ResponseWriter, r *http.Request) {
		hops.Add(1)
		var n int
		fmt.Sscanf(r.URL.Path, "/hop/%d", &n)
		if n == 0 {
			w.Write([]byte("arrived"))
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat("x", 100_000)))
	})
	hang := make(chan struct{})
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(hang)
	c := NewClient(ClientOptions{AllowPrivate: true, MaxResponseBody: 1000})

	for _, code := range []int{200, 201, 202, 204} {
		if _, err := get(t, c, fmt.Sprintf("%s/status/%d", srv.URL, code)); err != nil {
			t.Errorf("status %d: %v, want success", code, err)
		}
	}
	for _, code := range []int{400, 404, 500} {
		resp, err := get(t, c, fmt.Sprintf("%s/status/%d", srv.URL, code))
		wantErrText(t, err, fmt.Sprintf("Received status code %d", code))
		if resp == nil || resp.StatusCode != code {
			t.Errorf("Send returns the response with the error: %+v", resp)
		}
	}
	// Do reports any status without an error.
	req, _ := http.NewRequest("GET", srv.URL+"/status/500", nil)
	if resp, err := c.Do(context.Background(), req); err != nil || resp.StatusCode != 500 {
		t.Errorf("Do(500) = %+v, %v", resp, err)
	}
	// Up to three redirects are followed; a fourth is refused.
	if resp, err := get(t, c, srv.URL+"/hop/3"); err != nil || string(resp.Body) != "arrived" {
		t.Errorf("3 redirects: %+v %v", resp, err)
	}
	_, err := get(t, c, srv.URL+"/hop/4")
	wantErrText(t, err, "Too many redirects")
	// Only http and https, for the first URL and for redirects.
	_, err = get(t, c, "ftp://example.org/")
	wantErrText(t, err, "HTTP request failed, code: 1")
	_, err = get(t, c, srv.URL+"/status/301")
	wantErrText(t, err, "HTTP request failed, code: 1")
	// The body is cut to MaxResponseBody.
	if resp, err := get(t, c, srv.URL+"/big"); err != nil || len(resp.Body) != 1000 {
		t.Errorf("big body: %d bytes, %v; want 1000", len(resp.Body), err)
	}
	// A hanging server times out.
	short := NewClient(ClientOptions{AllowPrivate: true, Timeout: 200 * time.Millisecond})
	_, err = get(t, short, srv.URL+"/hang")
	wantErrText(t, err, "Connection timed out")
	// An unknown name.
	_, err = get(t, NewClient(ClientOptions{Resolver: fakeResolver{}}), "http://nowhere.example/")
	wantErrText(t, err, "Could not resolve host")
	// Nothing listens.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := ln.Addr().String()
	ln.Close()
	_, err = get(t, c, "http://"+closed+"/")
	wantErrText(t, err, "Connection failed")
}

func TestClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure") }))
	defer srv.Close()
	_, err := get(t, NewClient(ClientOptions{AllowPrivate: true}), srv.URL)
	wantErrText(t, err, "TLS handshake failed")
	trusted := NewClient(ClientOptions{AllowPrivate: true, TLSConfig: srv.Client().Transport.(*http.Transport).TLSClientConfig})
	if resp, err := get(t, trusted, srv.URL); err != nil || string(resp.Body) != "secure" {
		t.Errorf("trusted TLS: %+v %v", resp, err)
	}
}

func FuzzIsPrivate(f *testing.F) {
	f.Add([]byte{127, 0, 0, 1})
	f.Add(netip.MustParseAddr("::ffff:10.0.0.1").AsSlice())
	f.Fuzz(func(t *testing.T, b []byte) {
		ip, ok := netip.AddrFromSlice(b)
		if !ok {
			return
		}
		// A mapped address is judged as the IPv4 address it carries.
		if IsPrivate(ip) != IsPrivate(ip.Unmap()) {
			t.Errorf("IsPrivate(%s) differs from its unmapped form", ip)
		}
	})
}

// SendAttempts tries a failing request up to n times with the same body
// each time, and stops at the first success or permanent error.
func TestSendAttemptsReplaysTheBody(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	status := []int{500, 502, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		code := status[len(bodies)%len(status)]
		bodies = append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(code)
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{AllowPrivate: true})
	req, err := http.NewRequest("POST", srv.URL, strings.NewReader("payload"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendAttempts(t.Context(), req, Attempts); err != nil {
		t.Fatalf("third try answered 200, got %v", err)
	}
	if len(bodies) != 3 || bodies[0] != "payload" || bodies[1] != "payload" || bodies[2] != "payload" {
		t.Errorf("bodies %q, want the payload three times", bodies)
	}

	bodies = nil
	req, _ = http.NewRequest("POST", srv.URL, strings.NewReader("payload"))
	_, err = c.SendAttempts(t.Context(), req, 2)
	if ErrorText(err) != "Received status code 502" || len(bodies) != 2 {
		t.Errorf("two tries: %v after %d requests, want the second status after 2", err, len(bodies))
	}
}
