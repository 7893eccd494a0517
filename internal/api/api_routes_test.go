package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/store/storetest"
)

// Routes is what the security tests walk: it must list exactly what the
// handler serves. Every listed route, its parameters filled with a value
// of their form, reaches a handler (without a key: 401 for a keyed route,
// the handler's own answer otherwise), and the same path one segment off
// is the 404 page.
func TestRoutesListWhatIsServed(t *testing.T) {
	t.Parallel()
	h := api.NewAPI(api.APIDeps{Store: storetest.Open(t, "sqlite"), SiteRoot: "http://example.org"})
	routes := h.(*api.API).Routes()
	if len(routes) < 3*15 {
		t.Fatalf("only %d routes: %q", len(routes), routes)
	}
	fill := strings.NewReplacer("{check}", "0f3b2f6e-6c1d-4c55-9a5a-1c1e2d3f4a5b", "{notification}", "0f3b2f6e-6c1d-4c55-9a5a-1c1e2d3f4a5b",
		"{unique_key}", strings.Repeat("a", 40), "{n}", "1")
	walkRoutes(t, routes, fill, http.MethodOptions, func(p, method, target string) {
		for _, tc := range []struct {
			path     string
			notFound bool
		}{{target, false}, {target + "x/", true}} {
			req := httptest.NewRequest(method, tc.path, strings.NewReader(""))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if got := rec.Code == http.StatusNotFound && !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json"); got != tc.notFound {
				t.Errorf("%s %s: %d %q, want the 404 page: %v", method, tc.path, rec.Code, rec.Body.String(), tc.notFound)
			}
		}
	})
}

// walkRoutes calls visit for each listed route ("METHOD /path" or a bare
// path, which is given anyMethod) with its parameters filled in, after
// checking that no route is listed twice and that fill knows every
// parameter. It returns the routes seen.
func walkRoutes(t *testing.T, routes []string, fill *strings.Replacer, anyMethod string, visit func(p, method, target string)) map[string]bool {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range routes {
		method, path, ok := strings.Cut(p, " ")
		if !ok {
			method, path = anyMethod, p
		}
		if seen[p] {
			t.Errorf("%s listed twice", p)
		}
		seen[p] = true
		target := fill.Replace(path)
		if strings.Contains(target, "{") {
			t.Errorf("%s: a parameter the test does not know", p)
			continue
		}
		visit(p, method, target)
	}
	return seen
}
