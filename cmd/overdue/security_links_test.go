package main

// Threat: the public links outside the API (badges, Prometheus metrics,
// the verify and unsubscribe links of emails) are opened without their
// key, with another project's key, or with a tampered signature, or an
// unsafe method changes something through them without the signature.
// These URLs are public by design: the key or the signature in them is
// the credential (compared in constant time: security_timing_test.go reads
// every comparison). Every route of their tables (api.(*Badges).Routes,
// api.(*Metrics).Routes, api.(*Integrations).Routes) needs an entry in
// linkFixtures, so a new link is walked without anyone remembering to.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
)

// linkCase is one request to a public link and upstream's answer.
type linkCase struct {
	what         string
	method, path string
	hdr          map[string]string
	status       int
	has          string // the body shows this ("" for no check)
}

// linkFixture is what the tests know of one route of the link tables.
type linkFixture struct {
	// real is project A's working link and what it answers; it shows A's
	// data and never B's.
	real func(s *secApp, l *linkSet) linkCase
	// acts: the real link changes something (a verified address, an
	// unsubscribed channel or user), as it is meant to; it runs after
	// every refusal, and must change the data.
	acts bool
	// refused are the requests that must change nothing: A's key or
	// signature with B's objects, a missing, wrong or tampered key or
	// signature, and upstream's answer to each.
	refused func(s *secApp, l *linkSet) []linkCase
}

// linkSet is the fixture's objects the links name.
type linkSet struct {
	aEmail, bEmail model.Channel // an email channel per project
	aBadge         string        // A's check's badge key
}

// tamper changes one character in the middle of the last non-empty path
// segment of path.
func tamper(path string) string {
	end := len(strings.TrimSuffix(path, "/"))
	start := strings.LastIndex(path[:end], "/") + 1
	mid := start + (end-start)/2
	c := byte('A')
	if path[mid] == 'A' {
		c = 'B'
	}
	return path[:mid] + string(c) + path[mid+1:]
}

const otherUUID = "3f1e8b5c-5b6a-4f4e-8a61-2f1d2a3b4c5d"

// linkFixtures, by route pattern as the tables list it.
var linkFixtures = map[string]linkFixture{
	"/badge/{badge_key}/{signature}/{tag}.{fmt}": {
		real: func(s *secApp, _ *linkSet) linkCase {
			return linkCase{path: api.BadgeURL("", s.a.BadgeKey, "shared", "json", s.cfg.SecretKey, true), status: 200, has: `"total": 1,`}
		},
		refused: func(s *secApp, _ *linkSet) []linkCase {
			aSig := api.BadgeSignature(s.a.BadgeKey, "shared", s.cfg.SecretKey)
			return []linkCase{
				{what: "B's key with A's signature", path: "/badge/" + s.b.BadgeKey + "/" + aSig + "/shared.json", status: 404},
				{what: "A's signature for another tag", path: "/badge/" + s.a.BadgeKey + "/" + aSig + "/other.json", status: 404},
				{what: "a tampered signature", path: tamper("/badge/" + s.a.BadgeKey + "/" + aSig + "/"), status: 404},
			}
		},
	},
	"/badge/{badge_key}/{signature}.{fmt}": {
		real: func(s *secApp, _ *linkSet) linkCase {
			return linkCase{path: api.BadgeURL("", s.a.BadgeKey, "*", "json", s.cfg.SecretKey, true), status: 200, has: `"total": 1,`}
		},
		refused: func(s *secApp, _ *linkSet) []linkCase {
			aSig := api.BadgeSignature(s.a.BadgeKey, "*", s.cfg.SecretKey)
			return []linkCase{
				{what: "B's key with A's signature", path: "/badge/" + s.b.BadgeKey + "/" + aSig + ".json", status: 404},
				{what: "A's tag signature for every check", path: "/badge/" + s.a.BadgeKey + "/" + api.BadgeSignature(s.a.BadgeKey, "shared", s.cfg.SecretKey) + ".json", status: 404},
				{what: "no signature", path: "/badge/" + s.a.BadgeKey + "/x.json", status: 404},
			}
		},
	},
	"/b/{states}/{badge_uuid}.{fmt}": {
		real: func(_ *secApp, l *linkSet) linkCase {
			return linkCase{path: api.CheckBadgeURL("", l.aBadge, "svg", true), status: 200, has: "alpha-check"}
		},
		refused: func(s *secApp, l *linkSet) []linkCase {
			return []linkCase{
				{what: "a key no check has", path: "/b/3/" + otherUUID + ".svg", status: 404},
				{what: "the check's UUID instead of its badge key", path: "/b/3/" + s.a.check + ".svg", status: 404},
				{what: "the key in upper case", path: "/b/3/" + strings.ToUpper(l.aBadge) + ".svg", status: 404},
			}
		},
	},
	"/projects/{code}/metrics/{key}":        metricsFixture("/metrics/"),
	"/projects/{code}/checks/metrics/{key}": metricsFixture("/checks/metrics/"),
	"/projects/{code}/metrics/": {
		real: func(s *secApp, _ *linkSet) linkCase {
			// The project comes from the key, as upstream: B's UUID in the path shows A's.
			return linkCase{path: "/projects/" + s.b.Code + "/metrics/", hdr: map[string]string{"Authorization": "Bearer " + s.a.keys.APIKeyReadonly},
				status: 200, has: `name="alpha-check"`}
		},
		refused: func(s *secApp, _ *linkSet) []linkCase {
			path := "/projects/" + s.a.Code + "/metrics/"
			return []linkCase{
				{what: "no key", path: path, status: 401},
				{what: "the key without Bearer", path: path, hdr: map[string]string{"Authorization": s.a.keys.APIKeyReadonly}, status: 401},
				{what: "the read-write key", path: path, hdr: map[string]string{"Authorization": "Bearer " + s.a.keys.APIKey}, status: 403},
				{what: "a tampered key", path: path, hdr: map[string]string{"Authorization": "Bearer " + tamper("/" + s.a.keys.APIKeyReadonly)[1:]}, status: 403},
				{what: "a short key", path: path, hdr: map[string]string{"Authorization": "Bearer abc"}, status: 400},
			}
		},
	},
	"/integrations/{code}/verify/{token}/": {
		real: func(s *secApp, l *linkSet) linkCase {
			return linkCase{method: "GET", path: email.VerifyURL("", l.aEmail.Code, email.VerifyToken(s.cfg.SecretKey, l.aEmail.Code)), status: 200, has: "Email address confirmed"}
		},
		acts: true,
		refused: func(s *secApp, l *linkSet) []linkCase {
			aTok := email.VerifyToken(s.cfg.SecretKey, l.aEmail.Code)
			return []linkCase{
				{what: "A's token on B's channel", path: email.VerifyURL("", l.bEmail.Code, aTok), status: 200, has: "This link is not valid"},
				{what: "a tampered token", path: tamper(email.VerifyURL("", l.aEmail.Code, aTok)), status: 200, has: "This link is not valid"},
				{what: "a webhook channel's token", path: email.VerifyURL("", s.a.channel, email.VerifyToken(s.cfg.SecretKey, s.a.channel)), status: 200, has: "This link is not valid"},
				{what: "a channel that does not exist", path: email.VerifyURL("", otherUUID, email.VerifyToken(s.cfg.SecretKey, otherUUID)), status: 404},
			}
		},
	},
	"/integrations/{code}/unsub/{signed_token}/": {
		real: func(s *secApp, l *linkSet) linkCase {
			// A mail client posts on its own (RFC 8058): no CSRF token, any origin.
			return linkCase{method: "POST", path: email.UnsubURL("", l.aEmail.Code, email.UnsubToken(s.cfg.SecretKey, l.aEmail.Code, time.Now())),
				hdr: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}, status: 200, has: "has been unsubscribed"}
		},
		acts: true,
		refused: func(s *secApp, l *linkSet) []linkCase {
			aTok := email.UnsubToken(s.cfg.SecretKey, l.aEmail.Code, time.Now())
			old := email.UnsubToken(s.cfg.SecretKey, l.aEmail.Code, time.Now().Add(-365*24*time.Hour))
			return []linkCase{
				{what: "A's token on B's channel", path: email.UnsubURL("", l.bEmail.Code, aTok), status: 200, has: "Incorrect link"},
				{what: "a tampered token", path: tamper(email.UnsubURL("", l.aEmail.Code, aTok)), status: 200, has: "Incorrect link"},
				{what: "a webhook channel", path: email.UnsubURL("", s.a.channel, email.UnsubToken(s.cfg.SecretKey, s.a.channel, time.Now())), status: 404},
				{what: "a report link's signature", path: email.UnsubURL("", l.aEmail.Code, reportSigned(s, s.owner["alice"].ID)), status: 200, has: "Incorrect link"},
				// Upstream's signature does not expire: an old link's GET is
				// the confirmation, which then submits itself.
				{what: "a year-old link (GET)", method: "GET", path: email.UnsubURL("", l.aEmail.Code, old), status: 200, has: ".submit()"},
			}
		},
	},
	"/accounts/unsubscribe_reports/{signed_username}/": {
		real: func(s *secApp, _ *linkSet) linkCase {
			return linkCase{method: "POST", path: email.ReportUnsubURL("", s.cfg.SecretKey, s.owner["alice"].ID, time.Now()),
				hdr: map[string]string{"Sec-Fetch-Site": "cross-site"}, status: 200, has: "Unsubscribed"}
		},
		acts: true,
		refused: func(s *secApp, l *linkSet) []linkCase {
			link := email.ReportUnsubURL("", s.cfg.SecretKey, s.owner["alice"].ID, time.Now())
			return []linkCase{
				{what: "a tampered signature", path: tamper(link), status: 200, has: "Incorrect link"},
				{what: "an alert link's signature", path: "/accounts/unsubscribe_reports/" + email.UnsubToken(s.cfg.SecretKey, l.aEmail.Code, time.Now()) + "/", status: 200, has: "Incorrect link"},
				// A valid signature for a user that is gone: upstream's done page, and nothing to change.
				{what: "a user who does not exist", path: email.ReportUnsubURL("", s.cfg.SecretKey, 987654, time.Now()), status: 200, has: "Unsubscribed"},
			}
		},
	},
}

// metricsFixture is the two metrics URLs with the key in the path.
func metricsFixture(under string) linkFixture {
	return linkFixture{
		real: func(s *secApp, _ *linkSet) linkCase {
			// The project comes from the key, as upstream: B's UUID in the path shows A's.
			return linkCase{path: "/projects/" + s.b.Code + under + s.a.keys.APIKeyReadonly, status: 200, has: `name="alpha-check"`}
		},
		refused: func(s *secApp, _ *linkSet) []linkCase {
			at := "/projects/" + s.a.Code + under
			return []linkCase{
				{what: "the read-write key", path: at + s.a.keys.APIKey, status: 403},
				{what: "a tampered key", path: tamper(at + s.a.keys.APIKeyReadonly), status: 403},
				{what: "a short key", path: at + "abc", status: 400},
				{what: "A's ping key", path: at + s.a.keys.PingKey, status: 400},
			}
		},
	}
}

// reportSigned is the signed part of a report unsubscribe link.
func reportSigned(s *secApp, id int64) string {
	link := email.ReportUnsubURL("", s.cfg.SecretKey, id, time.Now())
	return strings.TrimSuffix(strings.TrimPrefix(link, "/accounts/unsubscribe_reports/"), "/")
}

// links adds what the link fixtures need: an email channel per project,
// a shared tag on A's check and on two of B's, so that a badge that
// counted B's checks would show it.
func (s *secApp) links() *linkSet {
	s.t.Helper()
	ctx := context.Background()
	seed := apptest.Seed{T: s.t, Store: s.st}
	l := &linkSet{}
	for _, p := range []struct {
		proj *secProject
		ch   *model.Channel
	}{{&s.a, &l.aEmail}, {&s.b, &l.bEmail}} {
		*p.ch = seed.AddChannel(model.Channel{ProjectID: p.proj.ID, Name: "mail", Kind: "email",
			Value: `{"value": "` + p.proj.owner + `-alerts@example.org", "up": true, "down": true}`})
	}
	s.newCheck(s.b, "bravo-two")
	for _, p := range []secProject{s.a, s.b} {
		checks, err := s.st.ListChecks(ctx, p.ID)
		if err != nil {
			s.t.Fatal(err)
		}
		for _, c := range checks {
			c.Tags = "shared"
			if err := s.st.UpdateCheck(ctx, &c); err != nil {
				s.t.Fatal(err)
			}
			if c.Code == s.a.check {
				l.aBadge = c.BadgeKey
			}
		}
	}
	return l
}

func TestSecurityPublicLinks(t *testing.T) {
	t.Parallel()
	for _, engine := range []string{"sqlite", "postgres", "mysql"} {
		t.Run(engine, func(t *testing.T) {
			s := newSecApp(t, engine, nil)
			l := s.links()
			type linkRoute struct {
				pattern, method string
				fx              linkFixture
			}
			var routes []linkRoute
			listed := map[string]bool{}
			for _, p := range s.linkRoutes {
				method, path, ok := strings.Cut(p, " ")
				if !ok {
					method, path = "", p
				}
				fx, ok := linkFixtures[path]
				if !ok {
					t.Fatalf("link route %s: no fixture: add %q to linkFixtures in cmd/overdue/security_links_test.go, with project A's real link, "+
						"whether it changes data, and the requests it must refuse (B's objects with A's key, a wrong or tampered key or signature) with upstream's answers",
						p, path)
				}
				listed[path] = true
				routes = append(routes, linkRoute{p, method, fx})
			}
			for path := range linkFixtures {
				if !listed[path] {
					t.Errorf("linkFixtures has %s, which no link table lists", path)
				}
			}
			do := func(r linkRoute, c linkCase) (*http.Response, string) {
				t.Helper()
				method := c.method
				if method == "" {
					method = "GET"
				}
				resp, body := s.send(http.DefaultClient, method, c.path, nil, c.hdr)
				if resp.StatusCode >= 500 || resp.StatusCode != c.status || !strings.Contains(body, c.has) {
					t.Errorf("%s, %s: %s %s: %d %.200q, want %d with %q", r.pattern, c.what, method, c.path, resp.StatusCode, body, c.status, c.has)
				}
				return resp, body
			}
			before := s.snapshot()
			for _, r := range routes {
				var tries []linkCase
				for _, c := range r.fx.refused(s, l) {
					tries = append(tries, c)
					// A link that takes any method gets every refusal posted too.
					if r.method == "" && c.method == "" {
						c.method = "POST"
						tries = append(tries, c)
					}
				}
				for _, c := range tries {
					_, body := do(r, c)
					if strings.Contains(body, "bravo") {
						t.Errorf("%s, %s: the answer shows B's checks", r.pattern, c.what)
					}
				}
				real := r.fx.real(s, l)
				if !r.fx.acts {
					real.what = "A's real link"
					if _, body := do(r, real); strings.Contains(body, "bravo") {
						t.Errorf("%s: A's link shows B's checks", r.pattern)
					}
				}
				if r.method != "GET" {
					continue
				}
				// A GET-only link: every unsafe method, from any site or none,
				// is Django's CSRF 403, before the view.
				for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
					for _, hdr := range []map[string]string{nil, {"Sec-Fetch-Site": "cross-site", "Origin": "http://evil.example"}} {
						h := map[string]string{}
						for k, v := range real.hdr {
							h[k] = v
						}
						for k, v := range hdr {
							h[k] = v
						}
						do(r, linkCase{what: "an unsafe method", method: m, path: real.path, hdr: h, status: 403, has: "CSRF verification failed"})
					}
				}
			}
			if after := s.snapshot(); after != before {
				t.Errorf("refused link requests changed data: %s", snapDiff(before, after))
			}
			// Last, the links that act: the real one changes the data.
			for _, r := range routes {
				if !r.fx.acts {
					continue
				}
				before := s.snapshot()
				c := r.fx.real(s, l)
				c.what = "A's real link"
				do(r, c)
				if after := s.snapshot(); after == before {
					t.Errorf("%s: A's real link changed nothing: the fixture does not reach the view", r.pattern)
				}
			}
		})
	}
}
