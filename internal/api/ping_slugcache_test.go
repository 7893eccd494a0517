package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/overdue/overdue/internal/model"
)

// TestSlugPingAfterChange: a slug ping answered from the warm slug cache
// after the address changed meaning gives the answer, headers included, of
// a cold lookup (the stale mapping is refused at write time and resolved
// again): 404 and 409 come without never_cache's headers, as upstream's slug
// view sends them, and ?create=1 makes a check (201).
func TestSlugPingAfterChange(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		change     func(e *pingEnv, x *model.Check)
		query      string
		status     int
		body       string
		neverCache bool
	}{
		{"renamed", func(e *pingEnv, x *model.Check) { rename(e, x, "gone") }, "", http.StatusNotFound, "not found", false},
		{"renamed, create=1", func(e *pingEnv, x *model.Check) { rename(e, x, "gone") }, "?create=1", http.StatusCreated, "Created", true},
		{"second check with the slug", func(e *pingEnv, x *model.Check) {
			e.newCheck(func(c *model.Check) { c.Slug = "job" })
		}, "", http.StatusConflict, "ambiguous slug", false},
		{"deleted", func(e *pingEnv, x *model.Check) {
			if err := e.st.DeleteCheck(context.Background(), x.ID); err != nil {
				e.t.Fatal(err)
			}
		}, "", http.StatusNotFound, "not found", false},
		{"unchanged", func(*pingEnv, *model.Check) {}, "", http.StatusOK, "OK", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newPingEnv(t, "sqlite", "", 100)
			x := e.newCheck(func(c *model.Check) { c.Slug = "job" })
			path := "/ping/" + e.project.PingKey + "/job"
			if a := e.do("GET", path, nil, nil); a.status != http.StatusOK {
				t.Fatalf("warm-up: %d %q", a.status, a.body)
			}
			x = e.reload(x)
			tc.change(e, &x)
			a := e.do("GET", path+tc.query, nil, nil)
			if a.status != tc.status || a.body != tc.body {
				t.Errorf("after the change: %d %q, want %d %q", a.status, a.body, tc.status, tc.body)
			}
			if got := a.header.Get("Cache-Control") != ""; got != tc.neverCache {
				t.Errorf("Cache-Control present = %v, want %v", got, tc.neverCache)
			}
		})
	}
}

func rename(e *pingEnv, x *model.Check, slug string) {
	e.t.Helper()
	x.Slug = slug
	if err := e.st.UpdateCheck(context.Background(), x); err != nil {
		e.t.Fatal(err)
	}
}
