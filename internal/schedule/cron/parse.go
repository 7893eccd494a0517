// Package cron is a cron engine that reproduces cronsim 2.7, the library
// upstream Healthchecks uses, as upstream calls it: 5-field expressions only,
// validated from 2000-01-01 and evaluated in the check's time zone.
//
// The behaviour (including cronsim's quirks around DST, the OR/AND day rule and
// the 50-year search window) is pinned by the corpus in testdata/; see
// /work/shared/testdata/schedules/README.md for the rules.
package cron

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"

	"github.com/overdue/overdue/internal/pycompat"
)

// ErrNeverMatches is wrapped by Parse errors for expressions that are
// syntactically fine but can never fire (for example "0 0 30 2 *").
var ErrNeverMatches = errors.New("the expression never matches")

// Expr is a parsed, validated 5-field cron expression. Safe for concurrent use:
// it is never modified after Parse returns.
type Expr struct {
	src string

	minutes uint64 // bits 0-59
	hours   uint64 // bits 0-23
	days    uint64 // bits 1-31
	months  uint64 // bits 1-12
	dows    uint64 // bits 0-6, Sunday is 0 (7 is folded into 0)

	dayLast        bool     // L: last day of the month
	dayLastWeekday bool     // LW: last Monday-Friday of the month
	dowLast        uint8    // bit w: nL, the last weekday w of the month
	dowNth         [7]uint8 // bit k of dowNth[w]: w#k, the k-th weekday w

	// dayAnd: a day must match both day fields (Debian cron's rule when
	// either day field's text starts with "*"); otherwise either is enough.
	dayAnd bool
	// wallClock: neither the minute nor the hour text starts with "*", so
	// cronsim searches naive local wall-clock time and fixes gaps afterwards.
	wallClock bool
	// singleMinute is the only allowed minute, or -1. cronsim jumps straight
	// to it in elapsed time, which matters across 30/45-minute DST shifts.
	singleMinute int
}

// String returns the expression as it was given to Parse.
func (e *Expr) String() string { return e.src }

type fieldKind int

const (
	fMinute fieldKind = iota
	fHour
	fDay
	fMonth
	fDow
)

type fieldInfo struct {
	name     string
	min, max int
	names    []string // symbolic names for min, min+1, ...
}

var fieldInfos = [...]fieldInfo{
	fMinute: {name: "minute", min: 0, max: 59},
	fHour:   {name: "hour", min: 0, max: 23},
	fDay:    {name: "day-of-month", min: 1, max: 31},
	fMonth: {name: "month", min: 1, max: 12,
		names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	fDow: {name: "day-of-week", min: 0, max: 7,
		names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

// fieldSet is what one field's text parses into. For day-of-week, bits 0-7
// stay distinct during parsing because steps count 0 and 7 as two values.
type fieldSet struct {
	bits        uint64
	last        bool // day-of-month L
	lastWeekday bool // day-of-month LW
	dowLast     uint8
	dowNth      [7]uint8
}

func (s *fieldSet) union(o *fieldSet) {
	s.bits |= o.bits
	s.last = s.last || o.last
	s.lastWeekday = s.lastWeekday || o.lastWeekday
	s.dowLast |= o.dowLast
	for i := range s.dowNth {
		s.dowNth[i] |= o.dowNth[i]
	}
}

// maxMonthDays is the longest each month can be (February counts 29).
var maxMonthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// Parse validates expr exactly as upstream's validator does: exactly 5
// whitespace-separated fields, cronsim's parser accepts them, and there is a
// fire time within the search window starting at 2000-01-01 (naive).
func Parse(expr string) (*Expr, error) {
	fields := pycompat.Fields(expr)
	if len(fields) != 5 {
		return nil, fmt.Errorf("expected 5 fields, got %d", len(fields))
	}
	var sets [5]fieldSet
	for i, f := range fields {
		k := fieldKind(i)
		// Python upper-cases the whole string; per field is equivalent because
		// no character changes its whitespace-ness when upper-cased.
		if err := parseField(k, strings.ToUpper(f), &sets[i]); err != nil {
			return nil, err
		}
	}
	e := &Expr{
		src:            expr,
		minutes:        sets[fMinute].bits,
		hours:          sets[fHour].bits,
		days:           sets[fDay].bits,
		months:         sets[fMonth].bits,
		dayLast:        sets[fDay].last,
		dayLastWeekday: sets[fDay].lastWeekday,
		dowLast:        sets[fDow].dowLast,
		dowNth:         sets[fDow].dowNth,
		dayAnd:         strings.HasPrefix(fields[fDay], "*") || strings.HasPrefix(fields[fDow], "*"),
		wallClock:      !strings.HasPrefix(fields[fMinute], "*") && !strings.HasPrefix(fields[fHour], "*"),
		singleMinute:   -1,
	}
	dows := sets[fDow].bits
	if dows&(1<<7) != 0 {
		dows = dows&^(1<<7) | 1
	}
	e.dows = dows
	if bits.OnesCount64(e.minutes) == 1 {
		e.singleMinute = bits.TrailingZeros64(e.minutes)
	}

	// cronsim rejects a day-of-month whose smallest value exists in none of
	// the allowed months, unless L or LW is present (they sort first there).
	if !e.dayLast && !e.dayLastWeekday && e.days != 0 {
		minDay := bits.TrailingZeros64(e.days)
		longest := 0
		for m := 1; m <= 12; m++ {
			if e.months&(1<<m) != 0 && maxMonthDays[m] > longest {
				longest = maxMonthDays[m]
			}
		}
		if minDay > 29 && minDay > longest {
			return nil, fmt.Errorf("%w: day-of-month %d does not exist in the selected months", ErrNeverMatches, minDay)
		}
	}

	// Upstream's validator asks for one fire time after 2000-01-01 00:00 naive.
	start := daysFromCivil(2000, 1, 1)*secondsPerDay + 1
	if _, ok := e.nextWall(start, 2000+searchYears); !ok {
		return nil, ErrNeverMatches
	}
	return e, nil
}

// parseField follows cronsim's precedence of operators exactly: "*", then the
// comma list, then day-of-week "nL", then "#", then "/", then "-", then the
// day-of-month letters, then a single value. The precedence decides which
// odd inputs are accepted (for example "5-5/10" runs from 5 to the end).
func parseField(k fieldKind, s string, out *fieldSet) error {
	fi := &fieldInfos[k]
	switch {
	case s == "*":
		out.bits |= rangeBits(fi.min, fi.max)
		return nil

	case strings.Contains(s, ","):
		for term := range strings.SplitSeq(s, ",") {
			if err := parseField(k, term, out); err != nil {
				return err
			}
		}
		return nil

	case k == fDow && strings.Contains(s, "L"):
		digits := s[:len(s)-1]
		if s[len(s)-1] != 'L' || !isASCIIDigits(digits) {
			return fmt.Errorf("bad %s %q: the last-weekday form is a digit 0-7 followed by L", fi.name, s)
		}
		v, err := fieldValue(k, digits)
		if err != nil {
			return err
		}
		out.dowLast |= 1 << (v % 7)
		return nil

	case k == fDow && strings.Contains(s, "#"):
		term, nthText, _ := strings.Cut(s, "#")
		nth, ok := atoiSat(nthText)
		if !ok || nth < 1 || nth > 5 {
			return fmt.Errorf("bad %s %q: the occurrence after # must be 1-5", fi.name, s)
		}
		v, err := fieldValue(k, term)
		if err != nil {
			return err
		}
		out.dowNth[v%7] |= 1 << nth
		return nil

	case strings.Contains(s, "/"):
		term, stepText, _ := strings.Cut(s, "/")
		step, ok := atoiSat(stepText)
		if !ok {
			return fmt.Errorf("bad %s step %q in %q", fi.name, stepText, s)
		}
		if step == 0 {
			return fmt.Errorf("bad %s %q: the step must be at least 1", fi.name, s)
		}
		var items fieldSet
		if err := parseField(k, term, &items); err != nil {
			return err
		}
		if items.bits == 0 {
			// Only L or LW can get here (no comma, #, or nL in term); a
			// step after them changes nothing.
			out.union(&items)
			return nil
		}
		if bits.OnesCount64(items.bits) == 1 {
			// A single value runs to the end of the field: "5/15", and
			// also "5-5/15".
			items.bits = rangeBits(bits.TrailingZeros64(items.bits), fi.max)
		}
		var n int
		for b := items.bits; b != 0; b &= b - 1 {
			if n%step == 0 {
				out.bits |= 1 << bits.TrailingZeros64(b)
			}
			n++
		}
		return nil

	case strings.Contains(s, "-"):
		lo, hi, _ := strings.Cut(s, "-")
		a, err := fieldValue(k, lo)
		if err != nil {
			return err
		}
		b, err := fieldValue(k, hi)
		if err != nil {
			return err
		}
		if b < a {
			return fmt.Errorf("bad %s range %q: ranges must not wrap around", fi.name, s)
		}
		out.bits |= rangeBits(a, b)
		return nil

	case k == fDay && s == "LW":
		out.lastWeekday = true
		return nil

	case k == fDay && s == "L":
		out.last = true
		return nil
	}
	v, err := fieldValue(k, s)
	if err != nil {
		return err
	}
	out.bits |= 1 << v
	return nil
}

// fieldValue parses one number or (month and day-of-week only) a
// three-letter name, and checks the field's range.
func fieldValue(k fieldKind, s string) (int, error) {
	fi := &fieldInfos[k]
	for i, n := range fi.names {
		if s == n {
			return fi.min + i, nil
		}
	}
	v, ok := atoiSat(s)
	if !ok {
		return 0, fmt.Errorf("bad %s %q", fi.name, s)
	}
	if v < fi.min || v > fi.max {
		return 0, fmt.Errorf("%s %s is out of range %d-%d", fi.name, s, fi.min, fi.max)
	}
	return v, nil
}

// atoiSat parses a non-empty string of ASCII digits. Values too large for any
// field saturate instead of overflowing, since only "too large" matters.
func atoiSat(s string) (int, bool) {
	if !isASCIIDigits(s) {
		return 0, false
	}
	const limit = 1 << 20
	v := 0
	for i := 0; i < len(s); i++ {
		v = v*10 + int(s[i]-'0')
		if v > limit {
			v = limit
		}
	}
	return v, true
}

func isASCIIDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func rangeBits(lo, hi int) uint64 {
	return (^uint64(0) >> (63 - hi)) &^ (1<<lo - 1)
}
