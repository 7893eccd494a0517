package reports

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// Store is the part of the store the sender uses.
type Store interface {
	DueReports(ctx context.Context, now time.Time, limit int) ([]model.User, error)
	ClaimReport(ctx context.Context, userID int64, freq string, old, next *time.Time) (bool, error)
	ChecksOfUser(ctx context.Context, userID int64) ([]store.UserCheck, error)
	FlipsSince(ctx context.Context, checkIDs []int64, since time.Time) (map[int64][]model.Flip, error)
}

// quietAccount: an account none of whose checks pinged for this long gets
// no report (upstream's six months in Profile.send_report).
const quietAccount = 180 * 24 * time.Hour

// batch is how many due users are read at a time.
const batch = 100

// Options configure a Sender. Store, Mailer and SecretKey are required.
type Options struct {
	Store  Store
	Mailer email.Sender
	Clock  alerts.Clock
	// Cache parses schedules for the checks' current status; nil parses
	// each afresh.
	Cache *schedule.Cache
	// Every is how often Run looks for due reports: 60 s when zero
	// (upstream's sendreports --loop).
	Every time.Duration
	// Pause follows each email sent, to stay under a relay's sending quota
	// (upstream's 3 s); negative for none, 3 s when zero.
	Pause time.Duration
	// Jitter returns the minutes added to 09:00 (upstream: a random 0-119);
	// nil is that.
	Jitter    func() time.Duration
	SiteRoot  string
	SiteName  string
	SecretKey string
	Log       *slog.Logger
}

// RandomJitter is upstream's random 0-119 minutes after 09:00, which
// spreads a large install's reports over two hours.
func RandomJitter() time.Duration { return time.Duration(rand.N(120)) * time.Minute }

// Sender sends the reports that are due.
type Sender struct{ o Options }

// New returns a sender; call Run or Tick.
func New(o Options) *Sender {
	if o.Clock == nil {
		o.Clock = alerts.RealClock{}
	}
	if o.Every <= 0 {
		o.Every = time.Minute
	}
	if o.Pause == 0 {
		o.Pause = 3 * time.Second
	}
	if o.Jitter == nil {
		o.Jitter = RandomJitter
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Sender{o: o}
}

// Run sends due reports every Every until ctx ends.
func (s *Sender) Run(ctx context.Context) error {
	for {
		if _, err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.o.Log.Error("reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.o.Clock.After(s.o.Every):
		}
	}
}

// Tick plans the report dates of users who have none and sends every
// report that is due, returning how many were sent. Each is claimed first
// by moving next_report_date on with a compare-and-set (upstream's
// optimistic lock): an instance that loses the race skips the user, so a
// report goes out once however many instances run. A failed email is not
// retried before the next period, as upstream's is not.
func (s *Sender) Tick(ctx context.Context) (sent int, err error) {
	for {
		now := s.o.Clock.Now()
		users, err := s.o.Store.DueReports(ctx, now, batch)
		if err != nil {
			return sent, err
		}
		progress := false
		for _, u := range users {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			if !model.ValidReports(u.Reports) {
				s.o.Log.Warn("reports: unknown setting; skipping", "user", u.ID, "reports", u.Reports)
				continue
			}
			loc := location(u.TZ)
			next := NextDate(u.Reports, now, loc, s.o.Jitter())
			won, err := s.o.Store.ClaimReport(ctx, u.ID, u.Reports, u.NextReportDate, next)
			if err != nil {
				return sent, err
			}
			progress = true
			if !won || u.NextReportDate == nil {
				// Another instance has it, or this only planned the first date.
				continue
			}
			ok, err := s.send(ctx, u, now, loc)
			if err != nil {
				s.o.Log.Warn("report email failed", "user", u.ID, "err", err)
				continue
			}
			if ok {
				sent++
				s.o.Log.Info("report sent", "user", u.ID, "reports", u.Reports)
				if s.o.Pause > 0 {
					select {
					case <-ctx.Done():
						return sent, ctx.Err()
					case <-s.o.Clock.After(s.o.Pause):
					}
				}
			}
		}
		if len(users) < batch || !progress {
			return sent, nil
		}
	}
}

// location is the user's time zone; one that no longer loads (a tzdata
// change) falls back to UTC rather than stopping the reports.
func location(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil && tz != "" {
		return loc
	}
	return time.UTC
}

// send builds and sends u's report; false when there is nothing to send.
func (s *Sender) send(ctx context.Context, u model.User, now time.Time, loc *time.Location) (bool, error) {
	checks, err := s.o.Store.ChecksOfUser(ctx, u.ID)
	if err != nil {
		return false, err
	}
	r, err := s.Build(ctx, u, checks, now, loc)
	if err != nil || r == nil {
		return false, err
	}
	return true, email.SendReport(ctx, s.o.Mailer, r)
}

// Build is the report of u at now over checks, or nil when upstream sends
// none (no check pinged in 180 days).
func (s *Sender) Build(ctx context.Context, u model.User, checks []store.UserCheck, now time.Time, loc *time.Location) (*email.Report, error) {
	var last *time.Time
	ids := make([]int64, 0, len(checks))
	for _, c := range checks {
		ids = append(ids, c.Check.ID)
		if lp := c.Check.LastPing; lp != nil && (last == nil || lp.After(*last)) {
			last = lp
		}
	}
	if last == nil || last.Before(now.Add(-quietAccount)) {
		return nil, nil
	}
	// The current period and the two full ones before it; the current
	// one is thrown away.
	bounds := Boundaries(u.Reports, 3, now, loc)
	flips, err := s.o.Store.FlipsSince(ctx, ids, bounds[len(bounds)-1])
	if err != nil {
		return nil, err
	}
	r := &email.Report{
		To: u.Email, Period: u.Reports, SiteName: s.o.SiteName,
		UnsubURL:    email.ReportUnsubURL(s.o.SiteRoot, s.o.SecretKey, u.ID, now),
		SettingsURL: strings.TrimRight(s.o.SiteRoot, "/") + "/accounts/profile/notifications/",
		BounceID:    auth.SignBounceID(s.o.SecretKey, "r."+strconv.FormatInt(u.ID, 10), now),
	}
	past := []time.Time{bounds[2], bounds[1]}
	for _, b := range past {
		r.Columns = append(r.Columns, columnTitle(u.Reports, b))
	}
	r.When = when(u.Reports, bounds[1])
	type row struct {
		rc   email.ReportCheck
		name string
		last time.Duration
	}
	var rows []row
	flush := func(project string) {
		if len(rows) == 0 {
			return
		}
		// Upstream's sortbydowntime: the longest downtime in the last
		// period first, then by name in natural order ("job 9", "job 10").
		slices.SortStableFunc(rows, func(a, b row) int {
			if a.last != b.last {
				return cmp.Compare(b.last, a.last)
			}
			return strings.Compare(a.name, b.name)
		})
		p := email.ReportProject{Name: project}
		for _, x := range rows {
			p.Checks = append(p.Checks, x.rc)
		}
		r.Projects = append(r.Projects, p)
		rows = nil
	}
	for i, uc := range checks {
		c := uc.Check
		if i > 0 && checks[i-1].Check.ProjectID != c.ProjectID {
			flush(checks[i-1].ProjectName)
		}
		d := Downtimes(bounds, c.Created, c.Status, flips[c.ID], now)
		older, newer := d[2], d[1]
		if newer.Count > 0 {
			r.SummaryChecks++
			r.SummaryEvents += newer.Count
		}
		status, _, err := schedule.Evaluate(&c, s.o.Cache, now)
		if err != nil {
			status = c.Status // a schedule that no longer parses: say what is stored
		}
		if status == model.StatusDown {
			status = "DOWN"
		}
		rows = append(rows, row{
			rc:   email.ReportCheck{Status: status, Name: c.NameThenCode(), URL: alerts.CloakedURL(s.o.SiteRoot, &c), Cells: []string{cell(older), cell(newer)}},
			name: pycompat.NaturalNameKey(c.Name), last: newer.Duration,
		})
	}
	if len(checks) > 0 {
		flush(checks[len(checks)-1].ProjectName)
	}
	return r, nil
}

// cell is one period of one check, in upstream's words.
func cell(d Downtime) string {
	switch {
	case d.Count > 0:
		return fmt.Sprintf("%d downtime%s,\n%s total", d.Count, humanize.Plural(int64(d.Count)), humanize.Approx(d.Duration))
	case d.NoData:
		return "" // the check did not exist yet
	}
	return "All good!"
}

// apMonths are Django's date format "N" (Associated Press month names).
var apMonths = [...]string{"Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."}

// columnTitle heads a period's column as upstream does: "Nov. 2026",
// "Nov 23 - Nov 29", "December 6".
func columnTitle(freq string, start time.Time) string {
	switch freq {
	case model.ReportsWeekly:
		return start.Format("Jan 2") + " - " + start.AddDate(0, 0, 6).Format("Jan 2")
	case model.ReportsDaily:
		return start.Format("January 2")
	}
	return apMonths[start.Month()-1] + " " + strconv.Itoa(start.Year())
}

// when is upstream's report-when: the last full period in words.
func when(freq string, start time.Time) string {
	switch freq {
	case model.ReportsWeekly:
		return "Last week (" + start.Format("January 2") + " to " + start.AddDate(0, 0, 6).Format("January 2") + ")"
	case model.ReportsDaily:
		return "Yesterday (" + start.Format("January 2") + ")"
	}
	return "In " + start.Format("January")
}
