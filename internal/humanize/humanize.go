// Package humanize writes durations and moments as upstream's pages and
// emails do (Healthchecks' hc_duration filters, Django's timesince and
// humanize's naturaltime), so that the web UI and the alert emails say "2
// weeks" and "an hour ago" the same way.
package humanize

import (
	"strconv"
	"strings"
	"time"
)

// Plural is Django's pluralize: "s" unless n is 1.
func Plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Duration is upstream's hc_duration: weeks (only when whole), days,
// hours and minutes, "1 day", "8 days", "2 weeks", "1 hour 30 minutes";
// seconds are dropped.
func Duration(d time.Duration) string {
	secs := int64(d / time.Second)
	units := []struct {
		name string
		size int64
	}{{"week", 7 * 86400}, {"day", 86400}, {"hour", 3600}, {"minute", 60}}
	var parts []string
	for _, u := range units {
		if u.name == "week" && secs%u.size != 0 {
			continue
		}
		v := secs / u.size
		secs %= u.size
		if v > 0 {
			parts = append(parts, strconv.FormatInt(v, 10)+" "+u.name+Plural(v))
		}
	}
	return strings.Join(parts, " ")
}

// DurationForSentence is upstream's hc_duration_for_sentence: the two
// largest units, "1 hour, 30 minutes", "2 days, 0 hours", "45 seconds".
func DurationForSentence(d time.Duration) string {
	total := int64(d / time.Second)
	mins, secs := total/60, total%60
	hours, mins := mins/60, mins%60
	days, hours := hours/24, hours%24
	n := func(v int64, unit string) string { return strconv.FormatInt(v, 10) + " " + unit + Plural(v) }
	switch {
	case days > 0:
		return n(days, "day") + ", " + n(hours, "hour")
	case hours > 0:
		return n(hours, "hour") + ", " + n(mins, "minute")
	case mins > 0:
		return n(mins, "minute") + ", " + n(secs, "second")
	}
	return n(secs, "second")
}

// Approx is upstream's hc_approx_duration (format_approx_duration): the
// two largest units in short form, "1 day 3 h", "4 days 0 h", "2 h 5 min",
// "3 min 20 sec", as reports show downtimes.
func Approx(d time.Duration) string {
	total := int64(d / time.Second)
	mins, secs := total/60, total%60
	hours, mins := mins/60, mins%60
	days, hours := hours/24, hours%24
	f := strconv.FormatInt
	switch {
	case days == 1:
		return "1 day " + f(hours, 10) + " h"
	case days > 0:
		return f(days, 10) + " days " + f(hours, 10) + " h"
	case hours > 0:
		return f(hours, 10) + " h " + f(mins, 10) + " min"
	}
	return f(mins, 10) + " min " + f(secs, 10) + " sec"
}

// NaturalTime is Django humanize's naturaltime for t as seen at now, with
// plain spaces (upstream's text emails replace its no-break spaces):
// "now", "a second ago", "10 minutes ago", "an hour ago", "1 day, 2 hours ago".
func NaturalTime(t, now time.Time) string {
	if !t.Before(now) {
		// A ping is never in the future of its alert; say "now" rather
		// than render upstream's future phrases for clock skew.
		return "now"
	}
	delta := now.Sub(t)
	if delta >= 24*time.Hour {
		return TimeSince(t, now) + " ago"
	}
	secs := int64(delta / time.Second)
	switch {
	case secs == 0:
		return "now"
	case secs < 60:
		if secs == 1 {
			return "a second ago"
		}
		return strconv.FormatInt(secs, 10) + " seconds ago"
	case secs/60 < 60:
		if m := secs / 60; m != 1 {
			return strconv.FormatInt(m, 10) + " minutes ago"
		}
		return "a minute ago"
	}
	if h := secs / 3600; h != 1 {
		return strconv.FormatInt(h, 10) + " hours ago"
	}
	return "an hour ago"
}

// monthDays is Django's MONTHS_DAYS (February always 28).
var monthDays = [12]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// TimeSince is Django's timesince(d, now) with depth 2: calendar years and
// months, then weeks, days, hours and minutes, the first two adjacent
// non-zero units ("1 year, 2 months", "3 days", "1 week, 1 day").
func TimeSince(d, now time.Time) string {
	if !now.After(d) {
		return "0 minutes"
	}
	totalMonths := (now.Year()-d.Year())*12 + int(now.Month()-d.Month())
	if d.Day() > now.Day() || (d.Day() == now.Day() && clock(d) > clock(now)) {
		totalMonths--
	}
	years, months := totalMonths/12, totalMonths%12
	pivot := d
	if years > 0 || months > 0 {
		py, pm := d.Year()+years, int(d.Month())+months
		if pm > 12 {
			pm -= 12
			py++
		}
		pivot = time.Date(py, time.Month(pm), min(monthDays[pm-1], d.Day()), d.Hour(), d.Minute(), d.Second(), 0, d.Location())
	}
	remaining := int64(now.Sub(pivot) / time.Second)
	partials := []int64{int64(years), int64(months)}
	for _, size := range []int64{7 * 86400, 86400, 3600, 60} {
		partials = append(partials, remaining/size)
		remaining %= size
	}
	names := []string{"year", "month", "week", "day", "hour", "minute"}
	i := 0
	for i < len(partials) && partials[i] == 0 {
		i++
	}
	if i == len(partials) {
		return "0 minutes"
	}
	var parts []string
	for ; i < len(partials) && len(parts) < 2 && partials[i] != 0; i++ {
		parts = append(parts, strconv.FormatInt(partials[i], 10)+" "+names[i]+Plural(partials[i]))
	}
	return strings.Join(parts, ", ")
}

// clock is the time of day of t as a comparable number.
func clock(t time.Time) int64 {
	return int64(t.Hour())*3600e9 + int64(t.Minute())*60e9 + int64(t.Second())*1e9 + int64(t.Nanosecond())
}
