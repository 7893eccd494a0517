package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// eventsFixture: alice owns "Servers" (a check with two pings and a flip,
// one email channel) and "Spare" (one webhook channel); bob is a read-only
// member of Servers and a writing member of a project of carol's, which is
// at carol's check limit; eve is a stranger.
type eventsFixture struct {
	e                     *env
	servers, spare, carol model.Project
	check                 model.Check
	spareChannel          model.Channel
}

func newEventsFixture(t *testing.T, engine string) eventsFixture {
	e := newEnv(t, engine)
	ctx := context.Background()
	alice := e.user("alice@example.org", "correct horse")
	bob := e.user("bob@example.org", "battery staple")
	carol := e.user("carol@example.org", "carol's password")
	e.user("eve@example.org", "eve's password")
	f := eventsFixture{e: e,
		servers: model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000001", Name: "Servers", OwnerID: alice.ID},
		spare:   model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000002", Name: "Spare", OwnerID: alice.ID},
		carol:   model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000003", Name: "Carol's", OwnerID: carol.ID},
	}
	for _, p := range []*model.Project{&f.servers, &f.spare, &f.carol} {
		if err := e.st.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.st.AddMember(ctx, f.servers.ID, bob.ID, model.RoleReadOnly, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := e.st.AddMember(ctx, f.carol.ID, alice.ID, model.RoleMember, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Carol's limit (20 in newEnv's users) is used up.
	for range 20 {
		c := model.NewCheck(f.carol.ID, time.Now())
		if err := e.st.CreateCheck(ctx, &c, false); err != nil {
			t.Fatal(err)
		}
	}
	mine := model.Channel{ProjectID: f.servers.ID, Code: "cccccccc-0000-4000-8000-000000000001", Kind: "email", Value: "a@example.org"}
	f.spareChannel = model.Channel{ProjectID: f.spare.ID, Code: "cccccccc-0000-4000-8000-000000000002", Kind: "webhook", Value: "{}"}
	for _, ch := range []*model.Channel{&mine, &f.spareChannel} {
		if err := e.st.CreateChannel(ctx, ch); err != nil {
			t.Fatal(err)
		}
	}
	f.check = model.NewCheck(f.servers.ID, time.Now())
	f.check.Name = "backup"
	if err := e.st.CreateCheck(ctx, &f.check, true); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	err := e.st.ApplyPings(ctx, []int64{f.check.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		c := m[f.check.ID]
		c.NPings, c.Status, c.LastPing = 2, model.StatusUp, &t0
		exit := 3
		return []model.Ping{
				{CheckID: c.ID, N: 1, Created: t0.Add(-time.Minute), Kind: model.PingStart, Scheme: "http", Method: "GET"},
				{CheckID: c.ID, N: 2, Created: t0, Kind: model.PingFail, Scheme: "https", Method: "POST", UA: "<b>curl</b>",
					Body: []byte("line one\n<script>alert(1)</script>\n" + strings.Repeat("z", 500)), ExitStatus: &exit},
			}, []model.Flip{{CheckID: c.ID, Created: t0, OldStatus: model.StatusNew, NewStatus: model.StatusUp, Processed: &t0}},
			nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPingDetails(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newEventsFixture(t, engine)
			e := f.e
			owner := e.login("alice@example.org", "correct horse")
			base := e.base + "/checks/" + f.check.Code

			resp, body := get(t, owner, base+"/pings/2/")
			if resp.StatusCode != 200 {
				t.Fatalf("ping 2: %d %s", resp.StatusCode, body)
			}
			for _, want := range []string{"Ping #2", "&lt;script&gt;alert(1)&lt;/script&gt;", strings.Repeat("z", 500), "&lt;b&gt;curl&lt;/b&gt;",
				"Exit status</dt><dd>3", "https POST", "Duration</dt><dd>1 minute"} {
				if !strings.Contains(body, want) {
					t.Errorf("ping page lacks %q", want)
				}
			}
			if strings.Contains(body, "<script>alert") {
				t.Error("body not escaped")
			}
			// The latest success or failure, skipping the start.
			if _, body := get(t, owner, base+"/last_ping/"); !strings.Contains(body, "Ping #2") {
				t.Errorf("last_ping is not ping 2:\n%s", body)
			}
			if _, body := get(t, owner, base+"/pings/1/"); !strings.Contains(body, "The ping had no body.") {
				t.Errorf("ping 1 (start, no body):\n%s", body)
			}
			// The events table links each ping to its page.
			if _, body := get(t, owner, base+"/details/"); !strings.Contains(body, `href="/hc/checks/`+f.check.Code+`/pings/2/"`) {
				t.Error("details page does not link ping 2")
			}
			for path, status := range map[string]int{
				"/pings/3/": 404, "/pings/0/": 404, "/pings/-1/": 404, "/pings/x/": 404, "/pings/99999999999999999999/": 404,
			} {
				if resp, _ := get(t, owner, base+path); resp.StatusCode != status {
					t.Errorf("%s: %d, want %d", path, resp.StatusCode, status)
				}
			}
			ro := e.login("bob@example.org", "battery staple")
			if resp, _ := get(t, ro, base+"/pings/2/"); resp.StatusCode != 200 {
				t.Errorf("read-only member: %d, want 200 (reading is allowed)", resp.StatusCode)
			}
			eve := e.login("eve@example.org", "eve's password")
			if resp, _ := get(t, eve, base+"/pings/2/"); resp.StatusCode != 404 {
				t.Errorf("stranger: %d, want 404", resp.StatusCode)
			}
			if resp, _ := get(t, e.client(), base+"/pings/2/"); resp.StatusCode != http.StatusFound {
				t.Errorf("anonymous: %d, want a redirect to log in", resp.StatusCode)
			}
		})
	}
}

func TestCheckStatusPoll(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t, "sqlite")
	e := f.e
	owner := e.login("alice@example.org", "correct horse")
	url := e.base + "/checks/" + f.check.Code + "/status/"
	resp, body := get(t, owner, url)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status: %d %s", resp.StatusCode, body)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["status"] != "up" || raw["status_text"] == "" || !strings.HasPrefix(raw["title"].(string), "backup") || raw["started"] != false || raw["n_pings"] != 2.0 {
		t.Errorf("status fields: %v", raw)
	}
	events, _ := raw["events"].(string)
	if !strings.Contains(events, "/pings/2/") || !strings.Contains(events, "Status: new → up") {
		t.Errorf("events fragment: %q", events)
	}
	// Asking again with the same ?u= leaves the events out.
	_, body = get(t, owner, url+"?u="+raw["updated"].(string))
	var again map[string]any
	_ = json.Unmarshal([]byte(body), &again)
	if _, ok := again["events"]; ok || again["updated"] != raw["updated"] {
		t.Errorf("unchanged poll still sends events: %v", again)
	}
	if resp, _ := get(t, e.client(), url); resp.StatusCode != http.StatusForbidden {
		t.Errorf("anonymous poll: %d, want 403", resp.StatusCode)
	}
	eve := e.login("eve@example.org", "eve's password")
	if resp, _ := get(t, eve, url); resp.StatusCode != 404 {
		t.Errorf("stranger poll: %d, want 404", resp.StatusCode)
	}
}

func TestClearEvents(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newEventsFixture(t, engine)
			e, ctx := f.e, context.Background()
			path := e.base + "/checks/" + f.check.Code + "/clear_events/"
			ro := e.login("bob@example.org", "battery staple")
			if resp, _ := post(t, ro, path, nil); resp.StatusCode != 403 {
				t.Errorf("read-only clear: %d, want 403", resp.StatusCode)
			}
			owner := e.login("alice@example.org", "correct horse")
			if resp, _ := post(t, owner, path, nil, "Origin", "https://evil.example"); resp.StatusCode != 403 {
				t.Errorf("cross-origin clear: %d, want 403", resp.StatusCode)
			}
			// Only POST clears; a GET (a link, a prefetch) is not a route.
			if resp, _ := get(t, owner, path); resp.StatusCode != http.StatusNotFound {
				t.Errorf("GET clear: %d, want 404", resp.StatusCode)
			}
			if pings, _ := e.st.ListPings(ctx, f.check.ID, 0); len(pings) != 2 {
				t.Fatalf("refused clears deleted pings: %d left", len(pings))
			}
			if resp, _ := post(t, owner, path, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("clear: %d", resp.StatusCode)
			}
			c, err := e.st.CheckByID(ctx, f.check.ID)
			if err != nil || c.Status != model.StatusNew || c.LastPing != nil || c.NPings != 2 {
				t.Errorf("after clear: status %s, last ping %v, n_pings %d, %v; want new, nil, 2 (numbers keep counting)", c.Status, c.LastPing, c.NPings, err)
			}
			pings, _ := e.st.ListPings(ctx, f.check.ID, 0)
			flips, _ := e.st.ListFlips(ctx, f.check.ID)
			if len(pings) != 0 || len(flips) != 0 {
				t.Errorf("after clear: %d pings, %d flips; want none", len(pings), len(flips))
			}
		})
	}
}

func TestTransferCheck(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newEventsFixture(t, engine)
			e, ctx := f.e, context.Background()
			path := e.base + "/checks/" + f.check.Code + "/transfer/"
			owner := e.login("alice@example.org", "correct horse")
			resp, body := get(t, owner, path)
			if resp.StatusCode != 200 || !strings.Contains(body, f.spare.Code) || !strings.Contains(body, f.carol.Code) || strings.Contains(body, `value="`+f.servers.Code) {
				t.Fatalf("transfer form: %d\n%s", resp.StatusCode, body)
			}
			for name, tc := range map[string]struct {
				project string
				want    string
			}{
				"no project":        {"", "Choose one of the projects listed."},
				"not a uuid":        {"'; DROP TABLE checks; --", "Choose one of the projects listed."},
				"the same project":  {f.servers.Code, "Choose one of the projects listed."},
				"a stranger's":      {"ffffffff-0000-4000-8000-000000000009", "Choose one of the projects listed."},
				"owner at limit":    {f.carol.Code, "reached their check limit"},
				"oversized project": {strings.Repeat("a", 70000), "could not be read"},
			} {
				resp, body := post(t, owner, path, url.Values{"project": {tc.project}})
				if resp.StatusCode != 400 || !strings.Contains(body, tc.want) {
					t.Errorf("%s: %d, want 400 with %q", name, resp.StatusCode, tc.want)
				}
			}
			if c, _ := e.st.CheckByID(ctx, f.check.ID); c.ProjectID != f.servers.ID {
				t.Fatalf("a refused transfer moved the check to project %d", c.ProjectID)
			}
			ro := e.login("bob@example.org", "battery staple")
			if resp, _ := post(t, ro, path, url.Values{"project": {f.spare.Code}}); resp.StatusCode != 403 {
				t.Errorf("read-only transfer: %d, want 403", resp.StatusCode)
			}
			resp, _ = post(t, owner, path, url.Values{"project": {f.spare.Code}})
			if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/details/?transferred=1") {
				t.Fatalf("transfer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
			}
			c, _ := e.st.CheckByID(ctx, f.check.ID)
			codes, _ := e.st.CheckChannelCodes(ctx, f.check.ID)
			if c.ProjectID != f.spare.ID || len(codes) != 1 || codes[0] != f.spareChannel.Code {
				t.Errorf("after transfer: project %d, channels %v; want %d, [%s]", c.ProjectID, codes, f.spare.ID, f.spareChannel.Code)
			}
			if _, body := get(t, owner, e.base+"/checks/"+f.check.Code+"/details/?transferred=1"); !strings.Contains(body, "now belongs to this project") {
				t.Error("details page does not confirm the transfer")
			}
		})
	}
}

// TestEventsListNotifications: a flip's notifications appear in the events
// under it, with the channel, and their state as the outbox changes it.
func TestEventsListNotifications(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			f := newEventsFixture(t, engine)
			e, ctx := f.e, context.Background()
			down := time.Now().Add(-30 * time.Minute).Truncate(time.Second)
			err := e.st.ApplyPings(ctx, []int64{f.check.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
				m[f.check.ID].Status = model.StatusDown
				return nil, []model.Flip{{CheckID: f.check.ID, Created: down, OldStatus: model.StatusUp, NewStatus: model.StatusDown}}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			owner := e.login("alice@example.org", "correct horse")
			log := e.base + "/checks/" + f.check.Code + "/log/"
			_, body := get(t, owner, log)
			flip := strings.Index(body, "Status: up → down")
			note := strings.Index(body, "“down” to email: waiting to be sent")
			if flip < 0 || note < 0 || note > flip {
				t.Fatalf("the log should list the queued notification above its flip (note at %d, flip at %d):\n%s", note, flip, body)
			}
			claims, err := e.st.ClaimNotifications(ctx, time.Now(), time.Minute, 10)
			if err != nil || len(claims) != 1 {
				t.Fatalf("claim: %d, %v", len(claims), err)
			}
			if _, err := e.st.RecordResults(ctx, []store.SendResult{{NotificationID: claims[0].Notification.ID, Attempt: claims[0].Notification.Attempts,
				ChannelID: claims[0].Channel.ID, Started: time.Now()}}); err != nil {
				t.Fatal(err)
			}
			if _, body := get(t, owner, log); !strings.Contains(body, "“down” to email: sent") {
				t.Errorf("after delivery the log does not say sent:\n%s", body)
			}
		})
	}
}

// TestDetailsDowntimeSummary: the details page sums the down stretches of
// the last three months from the flips, in the user's time zone.
func TestDetailsDowntimeSummary(t *testing.T) {
	t.Parallel()
	f := newEventsFixture(t, "sqlite")
	e, ctx := f.e, context.Background()
	now := time.Now()
	// Before the fixture's own flip (new → up an hour ago), so that the
	// history agrees with itself.
	down := now.Add(-4 * time.Hour)
	up := down.Add(90 * time.Minute)
	err := e.st.ApplyPings(ctx, []int64{f.check.ID}, func(m map[int64]*model.Check) ([]model.Ping, []model.Flip, error) {
		return nil, []model.Flip{
			{CheckID: f.check.ID, Created: down, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Processed: &down},
			{CheckID: f.check.ID, Created: up, OldStatus: model.StatusDown, NewStatus: model.StatusUp, Processed: &up},
		}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	owner := e.login("alice@example.org", "correct horse")
	_, body := get(t, owner, e.base+"/checks/"+f.check.Code+"/details/")
	// The check was made today: this month has the stretch, the two
	// before it no data. (Four hours back may be last month on the 1st.)
	month := now.UTC().Format("January 2006")
	if down.UTC().Month() != now.UTC().Month() {
		t.Skip("the stretch straddles a month boundary today")
	}
	for _, want := range []string{
		`<tr class="status-down"><th scope="row">` + month + `</th><td>1 downtime, 1 h 30 min in all</td></tr>`,
		"no data (the check did not exist yet)",
		"Months in UTC",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("details page lacks %q:\n%s", want, body[strings.Index(body, "<h2>Downtime"):][:600])
		}
	}
}
