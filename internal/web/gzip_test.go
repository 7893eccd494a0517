package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestCompression: pages, the poll and static files are gzipped for
// same-origin requests that accept it, and left plain for cross-site ones
// (the BREACH rule), for clients that do not ask, and for range requests.
func TestCompression(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "sqlite")
	// The transport must not add Accept-Encoding itself (and undo the
	// encoding), so that the test sees the wire.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	plain, plainBody := get(t, c, e.base+"/accounts/login/")
	if plain.Header.Get("Content-Encoding") != "" {
		t.Fatalf("no Accept-Encoding: Content-Encoding %q", plain.Header.Get("Content-Encoding"))
	}

	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		gzipped    bool
	}{
		{"same-origin page", "/accounts/login/", map[string]string{"Accept-Encoding": "gzip, deflate, br", "Sec-Fetch-Site": "same-origin"}, true},
		{"typed URL", "/accounts/login/", map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "none"}, true},
		{"cross-site page", "/accounts/login/", map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "cross-site"}, false},
		{"no fetch metadata", "/accounts/login/", map[string]string{"Accept-Encoding": "gzip"}, false},
		{"gzip refused", "/accounts/login/", map[string]string{"Accept-Encoding": "gzip;q=0, br", "Sec-Fetch-Site": "same-origin"}, false},
		{"static css", "/static/style.css", map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"}, true},
		{"range of css", "/static/style.css", map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin", "Range": "bytes=0-9"}, false},
		{"404 page", "/no/such/page/", map[string]string{"Accept-Encoding": "gzip", "Sec-Fetch-Site": "same-origin"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", e.base+tc.path, nil)
			for k, v := range tc.hdr {
				req.Header.Set(k, v)
			}
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("Content-Encoding %q, want gzip: %v", resp.Header.Get("Content-Encoding"), tc.gzipped)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Vary = %q, want Accept-Encoding", resp.Header.Get("Vary"))
			}
			if !tc.gzipped {
				return
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(zr)
			if err != nil {
				t.Fatalf("decompress: %v", err)
			}
			if tc.path == "/accounts/login/" && string(b) != plainBody {
				t.Errorf("decompressed page differs from the plain one:\n%s\n---\n%s", b, plainBody)
			}
			if len(b) == 0 {
				t.Error("empty body")
			}
		})
	}
}
