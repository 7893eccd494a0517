package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/reports"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// notificationRoutes is the account's email settings page (upstream's
// /accounts/profile/notifications/): how often reports come, in which time
// zone, and reminders while checks are down.
func (w *Web) notificationRoutes(m *routeMux) {
	m.HandleFunc("GET /accounts/profile/notifications/{$}", w.notificationsPage)
	m.HandleFunc("POST /accounts/profile/notifications/{$}", w.saveNotifications)
}

// The choices, in upstream's words (REPORT_CHOICES and NAG_PERIODS).
var (
	reportChoices = []choice{{model.ReportsOff, "Off"}, {model.ReportsDaily, "Daily"}, {model.ReportsWeekly, "Weekly"}, {model.ReportsMonthly, "Monthly"}}
	nagChoices    = []choice{{"0", "Disabled"}, {"3600", "Hourly"}, {"86400", "Daily"}}
)

type choice struct{ Value, Label string }

type notificationsData struct {
	Reports, Nag, TZ string
	ReportChoices    []choice
	NagChoices       []choice
	Saved            bool
	Error            string
}

// maxTZLen is upstream's Profile.tz max_length.
const maxTZLen = 36

// checkTZ accepts the zone names upstream accepts (its list of all zones,
// and the legacy aliases it maps, schedule.NormalizeTZ) and returns the
// canonical name and its location.
func checkTZ(tz string) (string, *time.Location, error) {
	if len(tz) > maxTZLen {
		return "", nil, schedule.ErrUnknownTZ
	}
	name, err := schedule.NormalizeTZ(tz)
	if err != nil {
		return "", nil, err
	}
	loc, err := time.LoadLocation(name)
	return name, loc, err
}

func (w *Web) notificationsUser(rw http.ResponseWriter, r *http.Request) (model.User, bool) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/?next="+url.QueryEscape(w.base+r.URL.Path), http.StatusFound)
		return model.User{}, false
	}
	// The session's copy may be older than a report claim or an unsubscribe.
	fresh, err := w.d.Store.UserByID(r.Context(), u.ID)
	if err != nil {
		w.unavailable(rw, r, "read user", err)
		return model.User{}, false
	}
	return fresh, true
}

func (w *Web) notificationsPage(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.notificationsUser(rw, r)
	if !ok {
		return
	}
	w.renderNotifications(rw, r, http.StatusOK, notificationsData{Reports: u.Reports, Nag: strconv.Itoa(int(u.NagPeriod / time.Second)), TZ: u.TZ})
}

func (w *Web) renderNotifications(rw http.ResponseWriter, r *http.Request, status int, d notificationsData) {
	d.ReportChoices, d.NagChoices = reportChoices, nagChoices
	w.render(rw, r, status, "notifications.html", "Email Reports", d)
}

func (w *Web) saveNotifications(rw http.ResponseWriter, r *http.Request) {
	u, ok := w.notificationsUser(rw, r)
	if !ok {
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	d := notificationsData{Reports: form.Get("reports"), Nag: form.Get("nag_period"), TZ: strings.TrimSpace(form.Get("tz"))}
	bad := func(msg string) {
		// Show what was stored, not the rejected input.
		d.Reports, d.Nag, d.TZ, d.Error = u.Reports, strconv.Itoa(int(u.NagPeriod/time.Second)), u.TZ, msg
		w.renderNotifications(rw, r, http.StatusBadRequest, d)
	}
	if !model.ValidReports(d.Reports) {
		bad("Reports must be off, daily, weekly or monthly.")
		return
	}
	var nag time.Duration
	switch d.Nag {
	case "0":
	case "3600":
		nag = time.Hour
	case "86400":
		nag = 24 * time.Hour
	default:
		bad("Reminders must be disabled, hourly or daily.")
		return
	}
	tz := u.TZ
	if d.TZ != "" { // a browser without a zone leaves it as it was
		name, _, err := checkTZ(d.TZ)
		if err != nil {
			bad("The time zone must be an IANA name such as Europe/Riga, at most 36 characters.")
			return
		}
		tz = name
	}
	_, loc, err := checkTZ(tz)
	if err != nil {
		loc = time.UTC // a stored zone from an older tz list
	}
	now := w.d.Now()
	u.Reports, u.TZ = d.Reports, tz
	// As upstream: saving plans the next report afresh (none when off).
	u.NextReportDate = reports.NextDate(u.Reports, now, loc, reports.RandomJitter())
	nagChanged := nag != u.NagPeriod
	if nagChanged {
		u.NagPeriod, u.NextNagDate = nag, nil
	}
	if err := w.d.Store.UpdateUser(r.Context(), &u); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			w.notFound(rw)
			return
		}
		w.unavailable(rw, r, "save notification settings", err)
		return
	}
	if nagChanged && nag > 0 {
		// A check already down starts the reminders now (upstream's
		// update_next_nag_date).
		if err := w.d.Store.PlanNagsOfUser(r.Context(), u.ID, now); err != nil {
			w.d.Log.Error("web: plan reminders", "user", u.ID, "err", err)
		}
	}
	w.renderNotifications(rw, r, http.StatusOK, notificationsData{Reports: u.Reports, Nag: d.Nag, TZ: u.TZ, Saved: true})
}
