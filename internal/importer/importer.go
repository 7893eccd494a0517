package importer

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// Counts is what happened to the rows of one table.
type Counts struct{ Created, Updated, Skipped int }

func (c *Counts) add(a store.ImportAction) {
	switch a {
	case store.ImportCreated:
		c.Created++
	case store.ImportUpdated:
		c.Updated++
	default:
		c.Skipped++
	}
}

// Tables lists the summary's tables in the order they are imported.
var Tables = []string{"users", "projects", "members", "checks", "channels", "channel assignments", "pings", "flips"}

// Summary tells what an import did, or for a dry run what it would do.
type Summary struct {
	DryRun bool
	Counts map[string]*Counts
	// Notes are things the operator should know: data that could not be
	// copied, keys that need upstream's SECRET_KEY.
	Notes []string
}

// Write prints the summary, one table a line.
func (s *Summary) Write(w io.Writer) {
	verb := "Imported"
	if s.DryRun {
		verb = "Dry run, nothing written. Would import"
	}
	fmt.Fprintf(w, "%s:\n", verb)
	for _, t := range Tables {
		c := s.Counts[t]
		fmt.Fprintf(w, "  %-20s %d created, %d updated, %d skipped\n", t+":", c.Created, c.Updated, c.Skipped)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "Note: %s.\n", n)
	}
}

// Run copies ds into st in one transaction, rolled back when anything
// fails (so nothing is half-written) and, with dryRun, at the end anyway.
func Run(ctx context.Context, st *store.Store, ds *Dataset, dryRun bool, now time.Time) (*Summary, error) {
	sum := &Summary{DryRun: dryRun, Counts: map[string]*Counts{}, Notes: append([]string(nil), ds.Notes...)}
	for _, t := range Tables {
		sum.Counts[t] = &Counts{}
	}
	hashed := 0
	for _, p := range ds.Projects {
		if p.HashedKeys {
			hashed++
		}
	}
	if hashed > 0 {
		sum.Notes = append(sum.Notes, fmt.Sprintf("%d projects have hashed API keys (hcw_…/hcr_…): they keep working only with upstream's SECRET_KEY set as Overdue's SECRET_KEY, which badge URLs need too", hashed))
	}
	if !st.TextHoldsNUL() {
		if err := refuseNUL(ds); err != nil {
			return nil, err
		}
	}
	alertAfter := ping.ScheduleAlertAfter(nil, nil)
	err := st.Import(ctx, now, dryRun, func(it *store.ImportTx) error {
		users := map[int64]int64{}
		for _, u := range ds.Users {
			a, err := it.PutUser(ctx, &u.User)
			if err != nil {
				return err
			}
			if err := it.PutSendQuotas(ctx, u.User.ID, u.SMS, u.Call); err != nil {
				return err
			}
			changed, err := it.PutUpstreamLogin(ctx, u.User.ID, u.Username, u.LastLogin)
			if err != nil {
				return err
			}
			if changed && a == store.ImportSkipped {
				a = store.ImportUpdated
			}
			users[u.UpstreamID] = u.User.ID
			sum.Counts["users"].add(a)
		}
		projects := map[int64]int64{}
		for _, p := range ds.Projects {
			owner, ok := users[p.OwnerUpstreamID]
			if !ok {
				return fmt.Errorf("project %s: its owner (user %d) is not in the upstream database", p.Project.Code, p.OwnerUpstreamID)
			}
			p.Project.OwnerID = owner
			a, err := it.PutProject(ctx, &p.Project)
			if err != nil {
				return err
			}
			projects[p.UpstreamID] = p.Project.ID
			sum.Counts["projects"].add(a)
		}
		for _, m := range ds.Members {
			a, err := it.PutMember(ctx, projects[m.ProjectUpstreamID], users[m.UserUpstreamID], m.Role)
			if err != nil {
				return err
			}
			sum.Counts["members"].add(a)
		}
		checks := map[int64]int64{}
		for _, c := range ds.Checks {
			c.Check.ProjectID = projects[c.ProjectUpstreamID]
			// Overdue's alert engine reads alert_after; it is computed
			// with Overdue's own rule rather than trusted from upstream.
			c.Check.AlertAfter = alertAfter(&c.Check)
			a, err := it.PutCheck(ctx, &c.Check)
			if err != nil {
				return err
			}
			checks[c.UpstreamID] = c.Check.ID
			sum.Counts["checks"].add(a)
		}
		channels := map[int64]int64{}
		for _, ch := range ds.Channels {
			ch.Channel.ProjectID = projects[ch.ProjectUpstreamID]
			a, err := it.PutChannel(ctx, &ch.Channel)
			if err != nil {
				return err
			}
			channels[ch.UpstreamID] = ch.Channel.ID
			sum.Counts["channels"].add(a)
		}
		for _, l := range ds.Links {
			a, err := it.LinkChannel(ctx, channels[l.ChannelUpstreamID], checks[l.CheckUpstreamID])
			if err != nil {
				return err
			}
			sum.Counts["channel assignments"].add(a)
		}
		for _, c := range ds.Checks {
			created, skipped, err := it.AddPings(ctx, checks[c.UpstreamID], ds.Pings[c.UpstreamID])
			if err != nil {
				return err
			}
			sum.Counts["pings"].Created += created
			sum.Counts["pings"].Skipped += skipped
			created, skipped, err = it.AddFlips(ctx, checks[c.UpstreamID], ds.Flips[c.UpstreamID])
			if err != nil {
				return err
			}
			sum.Counts["flips"].Created += created
			sum.Counts["flips"].Skipped += skipped
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sum, nil
}

// storedAPIKey is how Overdue stores an upstream API key: a legacy
// plain-text key as its SHA-256 digest (auth.HashAPIKey, what Overdue
// compares), an upstream hash ("<8 chars>.<HMAC hex>", v3.11+) as it is,
// since only the key's owner has the key itself; auth.UpstreamAPIKeyHash
// recomputes that form at lookup. hashed reports the second case.
func storedAPIKey(raw string) (stored string, hashed bool) {
	switch {
	case raw == "":
		return "", false
	case auth.IsUpstreamAPIKeyHash(raw), strings.Contains(raw, "."):
		// A malformed hash is kept too: it matches nothing, as upstream.
		return raw, true
	}
	return auth.HashAPIKey(raw), false
}

// refuseNUL names the first text value holding U+0000, which SQLite and
// MySQL store but PostgreSQL's text columns refuse: the import into
// PostgreSQL stops with that row's name instead of a driver error.
func refuseNUL(ds *Dataset) error {
	bad := func(vals ...string) bool {
		for _, v := range vals {
			if strings.ContainsRune(v, 0) {
				return true
			}
		}
		return false
	}
	const msg = "%s holds a NUL character, which PostgreSQL cannot store: remove it upstream first"
	for _, c := range ds.Checks {
		k := &c.Check
		if bad(k.Name, k.Slug, k.Tags, k.Desc, k.Schedule, k.TZ, k.StartKw, k.SuccessKw, k.FailureKw, k.Methods) {
			return fmt.Errorf(msg, "check "+k.Code)
		}
	}
	for _, ch := range ds.Channels {
		if bad(ch.Channel.Name, ch.Channel.Kind, ch.Channel.Value, ch.Channel.LastError) {
			return fmt.Errorf(msg, "channel "+ch.Channel.Code)
		}
	}
	for _, p := range ds.Projects {
		if bad(p.Project.Name, p.Project.BadgeKey, p.Project.PingKey) {
			return fmt.Errorf(msg, "project "+p.Project.Code)
		}
	}
	for _, u := range ds.Users {
		if bad(u.User.Email, u.User.Password) {
			return fmt.Errorf(msg, fmt.Sprintf("user %d", u.UpstreamID))
		}
	}
	for _, c := range ds.Checks {
		for _, p := range ds.Pings[c.UpstreamID] {
			if bad(p.UA, p.Method, p.Scheme, p.RemoteAddr) {
				return fmt.Errorf(msg, fmt.Sprintf("ping %d of check %s", p.N, c.Check.Code))
			}
		}
	}
	return nil
}
