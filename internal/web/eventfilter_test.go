package web_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// withDownAlert adds to the events fixture a flip to down half an hour ago
// and the email notification it queues.
func withDownAlert(t *testing.T, f eventsFixture) time.Time {
	t.Helper()
	down := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
	err := f.e.st.ApplyPings(context.Background(), []int64{f.check.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		m[f.check.ID].Status = model.StatusDown
		return nil, []model.Flip{{CheckID: f.check.ID, Created: down, OldStatus: model.StatusUp, NewStatus: model.StatusDown}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return down
}

// TestEventLogFilters: each kind box and the date range narrow the log
// (pings, flips and notifications), on every engine.
func TestEventLogFilters(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			f := newEventsFixture(t, engine)
			withDownAlert(t, f)
			e := f.e
			owner := e.login("alice@example.org", "correct horse")
			log := e.base + "/checks/" + f.check.Code + "/log/"
			// The fixture: ping 1 (start, t0-1m), ping 2 (fail, t0), flip
			// new → up (t0), flip up → down (now-30m) and its notification.
			// The fixture's t0 is the failure's time (read back, not
			// recomputed: a second may have passed since).
			p2ping, err := e.st.PingByN(context.Background(), f.check.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			t0 := p2ping.Created
			const (
				p1, p2   = "/pings/1/", "/pings/2/"
				up, down = "Status: new → up", "Status: up → down"
				note     = "“down” to email"
			)
			today := time.Now().UTC().Format(time.DateOnly)
			ts := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
			cases := []struct {
				query      string
				want, lack []string
			}{
				{"", []string{p1, p2, up, down, note}, nil},
				{"filter=1&fail=on", []string{p2}, []string{p1, up, down, note}},
				{"fail=on", []string{p2}, []string{p1, up, note}}, // a box alone chooses too
				{"filter=1&start=on&flip=on", []string{p1, up, down}, []string{p2, note}},
				{"filter=1&notification=on", []string{note}, []string{p1, p2, up}},
				{"filter=1&success=on&log=on&ign=on", []string{"No events yet."}, []string{p1, p2, up, note}},
				{"filter=1", []string{"No events yet."}, []string{p1, p2, up, note}},
				// Upstream's timestamps: end includes its instant.
				{"end=" + ts(t0.Add(-30*time.Second)), []string{p1}, []string{p2, up, down, note}},
				{"end=" + ts(t0), []string{p1, p2, up}, []string{down, note}},
				{"from=" + ts(t0), []string{p2, up, down, note}, []string{p1}},
				{"filter=1&fail=on&flip=on&from=" + ts(t0), []string{p2, up, down}, []string{p1, note}},
				// Dates, whole days in the user's zone (UTC here).
				{"from=" + time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly) + "&to=" + today, []string{p1, p2, up, down, note}, nil},
				{"from=" + time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly), []string{"No events yet."}, []string{p1, p2, up, down, note}},
			}
			for _, tc := range cases {
				resp, body := get(t, owner, log+"?"+tc.query)
				if resp.StatusCode != 200 {
					t.Errorf("?%s: %d", tc.query, resp.StatusCode)
					continue
				}
				for _, w := range tc.want {
					if !strings.Contains(body, w) {
						t.Errorf("?%s lacks %q", tc.query, w)
					}
				}
				for _, l := range tc.lack {
					if strings.Contains(body, l) {
						t.Errorf("?%s shows %q", tc.query, l)
					}
				}
			}
			// The form shows the filter it applied.
			_, body := get(t, owner, log+"?filter=1&fail=on&from=2026-01-02")
			if !strings.Contains(body, `name="fail" checked`) || strings.Contains(body, `name="success" checked`) ||
				!strings.Contains(body, `name="from" value="2026-01-02"`) || !strings.Contains(body, `id="log-narrowed"`) {
				t.Errorf("the form does not show the filter:\n%s", body)
			}
			if _, body := get(t, owner, log); !strings.Contains(body, `name="notification" checked`) || strings.Contains(body, `id="log-narrowed"`) {
				t.Error("the unfiltered log's form should have every box ticked and no notice")
			}
		})
	}
}

// TestEventLogFilterRefusesBadInput: every bad parameter is a 400 that
// says what is wrong, never a 500.
func TestEventLogFilterRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t, "sqlite")
	owner := f.e.login("alice@example.org", "correct horse")
	log := f.e.base + "/checks/" + f.check.Code + "/log/"
	cases := []struct{ query, want string }{
		{"filter=1&success=maybe", `&#34;success&#34; must be on or off`},
		{"fail=%3Cscript%3E", `&#34;fail&#34; must be on or off`},
		{"from=2026-13-01", "The start of the date range must be a date"},
		{"to=yesterday", "The end of the date range must be a date"},
		{"from=1e99", "must be a date"},
		{"from=NaN", "must be a date"},
		{"end=-1", "must be a date"},
		{"from=1999-12-31", "between the years 2000 and 2100"},
		{"from=" + strings.Repeat("9", 100), "is too long"},
		{"from=2026-03-02&to=2026-03-01", "must come before its end"},
		{"from=2026-03-02&to=2026-03-02", ""}, // one whole day is fine
		{"before=0", "The page number is not valid."},
		{"filter=1&fail=on&before=x", "The page number is not valid."},
	}
	for _, tc := range cases {
		resp, body := get(t, owner, log+"?"+tc.query)
		status := http.StatusBadRequest
		if tc.want == "" {
			status = 200
		}
		if resp.StatusCode != status || !strings.Contains(body, tc.want) {
			t.Errorf("?%s: %d, want %d with %q:\n%s", tc.query, resp.StatusCode, status, tc.want, body)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("?%s echoes markup", tc.query)
		}
	}
}

// TestEventLogFilteredPaging: the pages of a filtered log hold only the
// chosen kinds, and the paging links keep the filter.
func TestEventLogFilteredPaging(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			e := newEnv(t, engine)
			ctx := context.Background()
			alice := e.user("alice@example.org", "correct horse")
			p := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Servers", OwnerID: alice.ID}
			if err := e.st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			c := model.NewCheck(p.ID, time.Now())
			if err := e.st.CreateCheck(ctx, &c, false); err != nil {
				t.Fatal(err)
			}
			// 210 pings, success and failure in turn: 105 failures.
			t0 := time.Now().Add(-5 * time.Hour).Truncate(time.Second)
			err := e.st.ApplyPings(ctx, []int64{c.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				var ps []model.Ping
				for n := int64(1); n <= 210; n++ {
					kind := model.PingSuccess
					if n%2 == 1 {
						kind = model.PingFail
					}
					ps = append(ps, model.Ping{CheckID: c.ID, N: n, Created: t0.Add(time.Duration(n) * time.Second), Kind: kind, Scheme: "http", Method: "GET"})
				}
				m[c.ID].NPings = 210
				return ps, nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			owner := e.login("alice@example.org", "correct horse")
			pingLink := regexp.MustCompile(`/pings/(\d+)/`)
			numbers := func(body string) []int {
				var out []int
				for _, m := range pingLink.FindAllStringSubmatch(body, -1) {
					n, _ := strconv.Atoi(m[1])
					out = append(out, n)
				}
				return out
			}
			_, body := get(t, owner, e.base+"/checks/"+c.Code+"/log/?filter=1&fail=on")
			first := numbers(body)
			if len(first) != 100 || first[0] != 209 || first[99] != 11 {
				t.Fatalf("first page: %d pings, %v", len(first), first)
			}
			older := regexp.MustCompile(`href="([^"]*)">Older events`).FindStringSubmatch(body)
			if older == nil {
				t.Fatalf("no link to older events:\n%s", body)
			}
			next := html.UnescapeString(older[1])
			if !strings.Contains(next, "fail=on") || !strings.Contains(next, "filter=1") || !strings.Contains(next, "before=11") {
				t.Fatalf("the older link loses the filter: %q", next)
			}
			_, body = get(t, owner, strings.TrimSuffix(e.srv.URL, "/")+next)
			second := numbers(body)
			if len(second) != 5 || second[0] != 9 || second[4] != 1 {
				t.Errorf("second page: %v", second)
			}
			for _, n := range append(first, second...) {
				if n%2 == 0 {
					t.Errorf("a success (#%d) in a log of failures", n)
				}
			}
			if strings.Contains(body, "Older events") || !strings.Contains(body, "Newest events") {
				t.Error("the last page's links are wrong")
			}
		})
	}
}

// TestStatusPollSendsEventsOnlyWhenChanged: the details page carries its
// events version; a poll with it gets no table until a ping, a flip or a
// notification's delivery changes the events.
func TestStatusPollSendsEventsOnlyWhenChanged(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			f := newEventsFixture(t, engine)
			e, ctx := f.e, context.Background()
			owner := e.login("alice@example.org", "correct horse")
			_, page := get(t, owner, e.base+"/checks/"+f.check.Code+"/details/")
			m := regexp.MustCompile(`data-updated="([^"]+)"`).FindStringSubmatch(page)
			if m == nil {
				t.Fatal("the details page has no events version")
			}
			poll := func(u string) (string, bool) {
				t.Helper()
				resp, body := get(t, owner, e.base+"/checks/"+f.check.Code+"/status/?u="+u)
				if resp.StatusCode != 200 {
					t.Fatalf("poll: %d %s", resp.StatusCode, body)
				}
				var out struct {
					Updated string  `json:"updated"`
					Events  *string `json:"events"`
				}
				if err := json.Unmarshal([]byte(body), &out); err != nil {
					t.Fatal(err)
				}
				return out.Updated, out.Events != nil
			}
			v := html.UnescapeString(m[1])
			if got, sent := poll(v); sent || got != v {
				t.Fatalf("a poll with the page's version: %q, events sent %v", got, sent)
			}
			steps := []struct {
				name string
				do   func()
				want string // in the events sent
			}{
				{"a ping", func() {
					err := e.st.ApplyPings(ctx, []int64{f.check.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
						m[f.check.ID].NPings = 3
						return []model.Ping{{CheckID: f.check.ID, N: 3, Created: time.Now(), Scheme: "http", Method: "GET"}}, nil, nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}, "/pings/3/"},
				{"a flip", func() { withDownAlert(t, f) }, "waiting to be sent"},
				{"a delivery", func() {
					claims, err := e.st.ClaimNotifications(ctx, time.Now(), time.Minute, 10)
					if err != nil || len(claims) != 1 {
						t.Fatalf("claim: %d, %v", len(claims), err)
					}
					if _, err := e.st.RecordResults(ctx, []store.SendResult{{NotificationID: claims[0].Notification.ID, Attempt: claims[0].Notification.Attempts,
						ChannelID: claims[0].Channel.ID, Started: time.Now()}}); err != nil {
						t.Fatal(err)
					}
				}, ": sent"},
			}
			for _, s := range steps {
				s.do()
				resp, body := get(t, owner, e.base+"/checks/"+f.check.Code+"/status/?u="+v)
				var out struct {
					Updated string `json:"updated"`
					Events  string `json:"events"`
				}
				if err := json.Unmarshal([]byte(body), &out); err != nil || resp.StatusCode != 200 {
					t.Fatalf("after %s: %d %v", s.name, resp.StatusCode, err)
				}
				if out.Updated == v || !strings.Contains(out.Events, s.want) {
					t.Errorf("after %s: version %q (was %q), events lack %q", s.name, out.Updated, v, s.want)
				}
				v = out.Updated
				if _, sent := poll(v); sent {
					t.Errorf("after %s, a poll with the new version still gets the events", s.name)
				}
			}
		})
	}
}
