package web

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// The events log's filters, upstream's LogFiltersForm as query parameters,
// so that they work without JavaScript and a filtered log can be
// bookmarked: one checkbox per kind of event (success, fail, start, log,
// ign, flip, notification), and a date range (from, to; "start" is taken
// by the start pings' box, and upstream's own "end" is read as "to"). The form
// carries filter=1, so that unticking every box is told from not having
// sent the form. Without it every kind is shown: our log has always listed
// notifications with the pings and flips (upstream lists only its downtime
// alerts, and only when asked).

// eventKind is one checkbox of the filter form.
type eventKind struct {
	Name, Label string
	// Stored is the ping kind as the store keeps it; "" for the two
	// kinds that are not pings (Ping false).
	Stored string
	Ping   bool
}

var eventKinds = []eventKind{
	{"success", "Success", model.PingSuccess, true},
	{"fail", "Failure (and non-zero exit status)", model.PingFail, true},
	{"start", "Started", model.PingStart, true},
	{"log", "Log", model.PingLog, true},
	{"ign", "Ignored", model.PingIgnored, true},
	{"flip", "Status changes", "", false},
	{"notification", "Notifications", "", false},
}

// eventFilter is what the log lists. The zero value is not meaningful:
// use allEvents or parseEventFilter.
type eventFilter struct {
	Show map[string]bool // by eventKind.Name
	// Start and End bound the events' time: Start <= t < End, nil open.
	Start, End *time.Time
	// StartDate and EndDate are the range as the form shows it.
	StartDate, EndDate string
	// Explicit: the request chose the kinds (the form was sent).
	Explicit bool
}

func allEvents() eventFilter {
	f := eventFilter{Show: make(map[string]bool, len(eventKinds))}
	for _, k := range eventKinds {
		f.Show[k.Name] = true
	}
	return f
}

// pingKinds are the stored ping kinds to list, nil for all of them.
func (f *eventFilter) pingKinds() []string {
	kinds := []string{}
	for _, k := range eventKinds {
		if k.Ping && f.Show[k.Name] {
			kinds = append(kinds, k.Stored)
		}
	}
	if len(kinds) == 5 {
		return nil
	}
	return kinds
}

// narrowed says the filter hides something, so that the page can say so.
func (f *eventFilter) narrowed() bool {
	for _, k := range eventKinds {
		if !f.Show[k.Name] {
			return true
		}
	}
	return f.Start != nil || f.End != nil
}

// query is the filter as query parameters, for the log's paging links.
func (f *eventFilter) query() url.Values {
	q := url.Values{}
	if f.Explicit {
		q.Set("filter", "1")
		for _, k := range eventKinds {
			if f.Show[k.Name] {
				q.Set(k.Name, "on")
			}
		}
	}
	if f.StartDate != "" {
		q.Set("from", f.StartDate)
	}
	if f.EndDate != "" {
		q.Set("to", f.EndDate)
	}
	return q
}

// Upstream's form takes timestamps from 2010 to 2030; dates outside a
// wider window are typing mistakes too.
var (
	earliestFilter = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	latestFilter   = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseEventFilter reads the filter from a request's query; an error is
// what a 400 page says (capitalized). Dates are days in loc (the user's time zone):
// start from the beginning of its day, end to the end of its day. A number
// is a Unix timestamp, as upstream's form sends (an instant: end includes
// it, as upstream's created__lte).
func parseEventFilter(q url.Values, loc *time.Location) (eventFilter, error) {
	f := allEvents()
	f.Explicit = q.Has("filter")
	for _, k := range eventKinds {
		if q.Has(k.Name) {
			f.Explicit = true
		}
	}
	if f.Explicit {
		for _, k := range eventKinds {
			on, err := parseCheckbox(q.Get(k.Name))
			if err != nil {
				return f, fmt.Errorf("%q must be on or off", k.Name)
			}
			f.Show[k.Name] = on
		}
	}
	for _, bound := range []struct {
		name  string
		end   bool
		t     **time.Time
		shown *string
	}{{"from", false, &f.Start, &f.StartDate}, {"to", true, &f.End, &f.EndDate}} {
		s := strings.TrimSpace(q.Get(bound.name))
		if bound.end && !q.Has("to") {
			s = strings.TrimSpace(q.Get("end")) // upstream's name
		}
		if s == "" {
			continue
		}
		t, err := parseFilterTime(s, bound.end, loc)
		if err != nil {
			what := "start"
			if bound.end {
				what = "end"
			}
			return f, fmt.Errorf("the %s of the date range %w", what, err)
		}
		*bound.t, *bound.shown = &t, s
	}
	if f.Start != nil && f.End != nil && !f.Start.Before(*f.End) {
		return f, errors.New("the start of the date range must come before its end")
	}
	return f, nil
}

// parseCheckbox reads a checkbox as upstream's BooleanField: a browser
// sends "on" for a ticked box and nothing for the others.
func parseCheckbox(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "0", "off", "false", "no":
		return false, nil
	case "on", "1", "true", "yes":
		return true, nil
	}
	return false, errors.New("not a checkbox value")
}

func parseFilterTime(s string, end bool, loc *time.Location) (time.Time, error) {
	var t time.Time
	if len(s) > 32 {
		return t, errors.New("is too long")
	}
	if d, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		t = d
		if end {
			t = d.AddDate(0, 0, 1)
		}
	} else {
		sec, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(sec) || math.IsInf(sec, 0) || sec < float64(earliestFilter.Unix()) || sec > float64(latestFilter.Unix()) {
			return t, errors.New("must be a date (YYYY-MM-DD) or a Unix timestamp")
		}
		t = time.UnixMicro(int64(sec * 1e6)).UTC()
		if end {
			t = t.Add(time.Microsecond)
		}
	}
	if t.Before(earliestFilter) || t.After(latestFilter) {
		return t, errors.New("must be between the years 2000 and 2100")
	}
	return t, nil
}
