package alerts_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/ping"
)

type mapResolver map[string][]string

func (m mapResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := m[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// Webhooks aimed at the operator's own network are refused, and the refusal
// is what the channel shows as its last error. The resolver is the test's,
// and the dial hook fails the test if a connection to anything but the one
// stand-in public address is attempted: nothing leaves this machine.
func TestWebhooksToPrivateAddressesAreRefused(t *testing.T) {
	w := newWorld(t, "sqlite")
	var reachedPrivate atomic.Int32
	private := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reachedPrivate.Add(1) }))
	defer private.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, private.URL+"/internal", http.StatusFound)
	}))
	defer redirector.Close()
	const public = "93.184.216.34:80" // stands for the redirecting server
	var dials atomic.Int32
	client := notify.NewClient(notify.ClientOptions{
		Resolver: mapResolver{"intranet.example": {"10.1.2.3"}, "localhost.example": {"127.0.0.1"}, "public.example": {"93.184.216.34"}},
		Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			if addr != public {
				t.Errorf("a connection to %s was attempted", addr)
				return nil, errors.New("refused by the test")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, redirector.Listener.Addr().String())
		},
	})
	_, port, _ := net.SplitHostPort(private.Listener.Addr().String())
	targets := []string{
		"http://127.0.0.1:" + port + "/",
		"http://[::1]:" + port + "/",
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://intranet.example/",
		"http://localhost.example:" + port + "/",
		"http://public.example/redirects-inside",
	}
	c := w.check(t, "probe")
	var ids []int64
	for _, u := range targets {
		ch := w.channel(t, "webhook", `{"method_down": "GET", "url_down": "`+u+`"}`)
		ids = append(ids, ch.ID)
	}
	if err := w.st.SetCheckChannels(context.Background(), c.ID, ids); err != nil {
		t.Fatal(err)
	}
	r := w.start(t, notify.Registry{"webhook": &webhook.Transport{Client: client}}, nil)
	r.ping(t, c, ping.ActionFail)
	for range targets {
		res := r.recorded(t)
		if res.Error != "Connections to private IP addresses are not allowed" {
			t.Errorf("channel %d: error %q", res.ChannelID, res.Error)
		}
	}
	chans, err := w.st.ListChannels(context.Background(), w.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range chans {
		if ch.LastError != "Connections to private IP addresses are not allowed" {
			t.Errorf("%s: channel last_error %q", targets[i], ch.LastError)
		}
	}
	if reachedPrivate.Load() != 0 {
		t.Errorf("a private server was reached")
	}
	if n := dials.Load(); n != 1 {
		t.Errorf("%d dials, want exactly one (to the stand-in public server)", n)
	}
}
