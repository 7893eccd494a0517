package alerts

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/store"
)

// NagStore is the part of the store the nagger uses.
type NagStore interface {
	PlanNags(ctx context.Context, now time.Time) (int, error)
	DueNags(ctx context.Context, now time.Time) ([]model.User, error)
	AdvanceNag(ctx context.Context, userID int64, old time.Time, next *time.Time) (bool, error)
	DownChecksOfUser(ctx context.Context, userID int64) ([]store.DownCheck, error)
	LastPingOfUser(ctx context.Context, userID int64) (*time.Time, error)
}

// quietAccount is how long all of a user's checks may go without a ping
// before reminders stop: upstream's six months (Profile.send_report).
const quietAccount = 180 * 24 * time.Hour

// NaggerOptions configure a Nagger. Store and Mailer are required.
type NaggerOptions struct {
	Store  NagStore
	Mailer email.Sender
	Clock  Clock
	// Every is how often reminders are looked for; 1 minute when zero
	// (upstream's sendreports loop).
	Every    time.Duration
	SiteRoot string
	SiteName string
	// SecretKey, when set, signs the reminders' unsubscribe link (the
	// reports' one, email.ReportUnsubURL) and bounce ID, as upstream's.
	SecretKey string
	Log       *slog.Logger
}

// Nagger emails upstream's "Reminder: N checks still down" to users who
// asked for hourly or daily reminders, for as long as any of their checks
// stays down.
type Nagger struct{ o NaggerOptions }

// NewNagger returns a nagger; call Run to start it.
func NewNagger(o NaggerOptions) *Nagger {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Nagger{o: o}
}

// Run sends due reminders every Every until ctx ends.
func (n *Nagger) Run(ctx context.Context) error {
	for {
		if _, err := n.Tick(ctx); err != nil && ctx.Err() == nil {
			n.o.Log.Error("reminders", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-n.o.Clock.After(n.o.Every):
		}
	}
}

// Tick plans reminder dates and sends the reminders that are due. Each
// reminder is claimed by moving next_nag_date forward with a
// compare-and-set before sending, as upstream does, so that several
// instances never send the same one twice.
func (n *Nagger) Tick(ctx context.Context) (sent int, err error) {
	now := n.o.Clock.Now()
	if _, err := n.o.Store.PlanNags(ctx, now); err != nil {
		return 0, err
	}
	users, err := n.o.Store.DueNags(ctx, now)
	if err != nil {
		return 0, err
	}
	for _, u := range users {
		down, err := n.o.Store.DownChecksOfUser(ctx, u.ID)
		if err != nil {
			return sent, err
		}
		if len(down) > 0 {
			last, err := n.o.Store.LastPingOfUser(ctx, u.ID)
			if err != nil {
				return sent, err
			}
			if last == nil || last.Before(now.Add(-quietAccount)) {
				// An abandoned account: upstream sends nothing and clears
				// the date, as when nothing is down.
				down = nil
			}
		}
		var next *time.Time
		if len(down) > 0 {
			t := now.Add(u.NagPeriod)
			next = &t
		}
		won, err := n.o.Store.AdvanceNag(ctx, u.ID, *u.NextNagDate, next)
		if err != nil {
			return sent, err
		}
		if !won || len(down) == 0 {
			continue
		}
		sortByName(down)
		items := make([]email.NagItem, 0, len(down))
		for _, d := range down {
			items = append(items, email.NagItem{Name: d.Check.NameThenCode(), Project: d.Project,
				URL: CloakedURL(n.o.SiteRoot, &d.Check)})
		}
		nag := email.Nag{To: u.Email, SiteName: n.o.SiteName, Every: u.NagPeriod, Items: items}
		if n.o.SecretKey != "" {
			nag.UnsubURL = email.ReportUnsubURL(n.o.SiteRoot, n.o.SecretKey, u.ID, now)
			nag.BounceID = auth.SignBounceID(n.o.SecretKey, "r."+strconv.FormatInt(u.ID, 10), now)
		}
		if err := email.SendNag(ctx, n.o.Mailer, nag); err != nil {
			// The date has moved on: like upstream, a failed reminder is not
			// retried before the next period (the next one lists the same checks).
			n.o.Log.Warn("reminder email failed", "user", u.ID, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}

// sortByName orders the checks of each project (the store returns them
// grouped by project) by name in upstream's natural order, as its
// reminder lists them (sortchecks "name").
func sortByName(down []store.DownCheck) {
	for i := 0; i < len(down); {
		j := i + 1
		for j < len(down) && down[j].Check.ProjectID == down[i].Check.ProjectID {
			j++
		}
		slices.SortStableFunc(down[i:j], func(a, b store.DownCheck) int {
			return strings.Compare(pycompat.NaturalNameKey(a.Check.Name), pycompat.NaturalNameKey(b.Check.Name))
		})
		i = j
	}
}
