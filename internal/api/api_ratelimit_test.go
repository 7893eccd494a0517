package api_test

import (
	"testing"
	"time"
)

// TestAPIRateLimitPerMinute: with API_RATE_LIMIT=100 (the hosted service's
// figure) the 101st request of a key within the minute is refused with 429
// and a JSON error; with 0 nothing is refused. The clock is the test's.
func TestAPIRateLimitPerMinute(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, "sqlite", 100)
	for i := range 100 {
		if r := e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.code, r.body)
		}
		e.now = e.now.Add(time.Millisecond)
	}
	r := e.do("GET", "/api/v3/checks/", apiRW, "")
	if r.code != 429 || r.hdr.Get("Content-Type") != "application/json" || r.body != `{"error": "rate limit exceeded"}` ||
		r.hdr.Get("Retry-After") != "1" {
		t.Errorf("101st request: %d %v %q", r.code, r.hdr, r.body)
	}
	// Every kind of request of that key counts, writes too.
	if r = e.do("POST", "/api/v3/checks/", apiRW, `{"name": "x"}`); r.code != 429 {
		t.Errorf("create over the limit: %d", r.code)
	}
	// The bucket refills at 100 per minute: one more request after 0.6 s.
	e.now = e.now.Add(600 * time.Millisecond)
	if r = e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
		t.Errorf("after 0.6 s: %d", r.code)
	}
	if r = e.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 429 {
		t.Errorf("second request after 0.6 s: %d", r.code)
	}

	unlimited := newAPIEnv(t, "sqlite", 0)
	for i := range 1000 {
		if r := unlimited.do("GET", "/api/v3/checks/", apiRW, ""); r.code != 200 {
			t.Fatalf("API_RATE_LIMIT=0, request %d: %d %s", i+1, r.code, r.body)
		}
	}
}
