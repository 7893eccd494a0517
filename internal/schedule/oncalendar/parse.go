package oncalendar

import (
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/pycompat"
)

// field identifies one component of an expression.
type field uint8

const (
	fYear field = iota
	fMonth
	fDay
	fHour
	fMinute
	fSecond
)

// fieldInfo gives each field's name and accepted range. base is the value
// stored at bit 0 of a valueSet; day uses -31 so that "~" (end-of-month)
// values, which are kept negative while parsing, fit in the same set.
var fieldInfo = [...]struct {
	name   string
	lo, hi int
	base   int
}{
	fYear:   {"year", 1970, maxYear - 1, 1970},
	fMonth:  {"month", 1, 12, 0},
	fDay:    {"day", 1, 31, -31},
	fHour:   {"hour", 0, 23, 0},
	fMinute: {"minute", 0, 59, 0},
	fSecond: {"second", 0, 59, 0},
}

// maxYear is exclusive: like systemd, the iteration stops at 2200.
const maxYear = 2200

// maxStep caps user steps so that loops cannot overflow; any step this large
// already yields just the first value of every field.
const maxStep = 1 << 20

var weekdayNames = [7]string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"}

// shorthands maps the lower-cased shorthand to the expression it stands for.
var shorthands = map[string]string{
	"minutely":     "*-*-* *:*:00",
	"hourly":       "*-*-* *:00:00",
	"daily":        "*-*-* 00:00:00",
	"monthly":      "*-*-01 00:00:00",
	"weekly":       "Mon *-*-* 00:00:00",
	"yearly":       "*-01-01 00:00:00",
	"annually":     "*-01-01 00:00:00",
	"quarterly":    "*-01,04,07,10-01 00:00:00",
	"semiannually": "*-01,07-01 00:00:00",
}

// valueSet is a small bit set of field values, offset by the field's base.
type valueSet [4]uint64

func (v *valueSet) add(f field, x int) {
	i := x - fieldInfo[f].base
	v[i>>6] |= 1 << (uint(i) & 63)
}

func (v *valueSet) count() int {
	return bits.OnesCount64(v[0]) + bits.OnesCount64(v[1]) + bits.OnesCount64(v[2]) + bits.OnesCount64(v[3])
}

// each calls fn for every value in ascending order.
func (v *valueSet) each(f field, fn func(int)) {
	for w, word := range v {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &= word - 1
			fn(w*64 + b + fieldInfo[f].base)
		}
	}
}

func (v *valueSet) union(o valueSet) {
	for i := range v {
		v[i] |= o[i]
	}
}

// parseDigits accepts ASCII digits only, as upstream does (no signs, no "_", no
// non-ASCII digits).
func parseDigits(s string) (n int, ok bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		// Saturate: any number this large is out of every range and, as a
		// step, behaves like an infinite one.
		if n < 1<<40 {
			n = n*10 + int(c-'0')
		}
	}
	return n, true
}

// fieldValue converts one numeric token, applying the two-digit year rule and
// the range check.
func fieldValue(f field, s string) (int, error) {
	fi := fieldInfo[f]
	n, ok := parseDigits(s)
	if !ok {
		if s == "" {
			return 0, fmt.Errorf("empty %s value", fi.name)
		}
		return 0, fmt.Errorf("bad %s %q", fi.name, s)
	}
	if f == fYear {
		if n < 70 {
			n += 2000
		} else if n < 100 {
			n += 1900
		}
	}
	if n < fi.lo || n > fi.hi {
		return 0, fmt.Errorf("%s %s is out of range %d-%d", fi.name, s, fi.lo, fi.hi)
	}
	return n, nil
}

// parseValues parses one field's text into a set. rev marks day values
// counted from the end of the month; they are stored negated (-1 = last day).
// The order of the checks matters: it decides which odd inputs are accepted
// (for example "~*" means every day, and "5..5/2" behaves like "5/2").
func parseValues(f field, s string, rev bool) (valueSet, error) {
	var out valueSet
	fi := fieldInfo[f]
	for f == fDay && strings.HasPrefix(s, "~") {
		s, rev = s[1:], true
	}
	if s == "*" {
		for x := fi.lo; x <= fi.hi; x++ {
			out.add(f, x)
		}
		return out, nil
	}
	if strings.Contains(s, "*") {
		return out, fmt.Errorf("%q in %s: \"*\" must stand alone (write 0/2, not */2)", s, fi.name)
	}
	if strings.Contains(s, ",") {
		for term := range strings.SplitSeq(s, ",") {
			part, err := parseValues(f, term, rev)
			if err != nil {
				return out, err
			}
			out.union(part)
		}
		return out, nil
	}
	if term, stepText, ok := strings.Cut(s, "/"); ok {
		step, ok := parseDigits(stepText)
		if !ok {
			return out, fmt.Errorf("bad step %q in %s %q", stepText, fi.name, s)
		}
		if step == 0 {
			return out, fmt.Errorf("step 0 in %s %q must be at least 1", fi.name, s)
		}
		step = min(step, maxStep)
		items, err := parseValues(f, term, rev)
		if err != nil {
			return out, err
		}
		if items.count() == 1 {
			// A single start value runs to the end of the field (to the last
			// day of the month for "~" values, stored as 0).
			start := 0
			items.each(f, func(x int) { start = x })
			end := fi.hi
			if rev {
				end = 0
			}
			for x := start; x <= end; x += step {
				out.add(f, x)
			}
			return out, nil
		}
		i := 0
		items.each(f, func(x int) {
			if i%step == 0 {
				out.add(f, x)
			}
			i++
		})
		return out, nil
	}
	if a, b, ok := strings.Cut(s, ".."); ok {
		lo, err := fieldValue(f, a)
		if err != nil {
			return out, err
		}
		hi, err := fieldValue(f, b)
		if err != nil {
			return out, err
		}
		if hi < lo {
			return out, fmt.Errorf("%s range %q goes backwards", fi.name, s)
		}
		if rev {
			lo, hi = -hi, -lo
		}
		for x := lo; x <= hi; x++ {
			out.add(f, x)
		}
		return out, nil
	}
	x, err := fieldValue(f, s)
	if err != nil {
		return out, err
	}
	if rev {
		if x > 28 {
			return out, fmt.Errorf("day ~%d counted from the end of the month must be 1-28", x)
		}
		x = -x
	}
	out.add(f, x)
	return out, nil
}

func weekdayValue(s string) (int, error) {
	if up, ok := pyUpperASCII(s); ok {
		for i, name := range weekdayNames {
			if up == name || up == name[:3] {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("bad weekday %q", s)
}

// parseWeekdays returns a mask with bit 0 = Monday … bit 6 = Sunday.
func parseWeekdays(s string) (uint8, error) {
	orig := s
	if strings.Contains(s, "*") {
		return 0, fmt.Errorf("bad weekday %q: \"*\" is not allowed in weekdays", orig)
	}
	// systemd normalises a trailing comma and "-" ranges, and so does upstream.
	s = strings.TrimRight(s, ",")
	s = strings.ReplaceAll(s, "-", "..")
	var mask uint8
	for term := range strings.SplitSeq(s, ",") {
		if a, b, ok := strings.Cut(term, ".."); ok {
			lo, err := weekdayValue(a)
			if err != nil {
				return 0, err
			}
			hi, err := weekdayValue(b)
			if err != nil {
				return 0, err
			}
			if hi < lo {
				return 0, fmt.Errorf("weekday range %q goes backwards (ranges do not wrap)", orig)
			}
			for d := lo; d <= hi; d++ {
				mask |= 1 << d
			}
			continue
		}
		d, err := weekdayValue(term)
		if err != nil {
			return 0, err
		}
		mask |= 1 << d
	}
	return mask, nil
}

// spec is one parsed line in the form the search wants: bit masks per field.
type spec struct {
	years   valueSet  // bit y-1970
	months  uint16    // bit 1..12
	days    uint64    // bit 1..31
	rdays   uint32    // bit k: the k-th day from the end (1 = last)
	dowMask [7]uint64 // by weekday of the 1st (0 = Monday): bit d if day d matches the weekdays
	hours   uint32
	minutes uint64
	seconds uint64
	zone    *time.Location // nil: the caller's zone
}

func lowMask(set valueSet) uint64 { return set[0] }

func parseTime(tok string, sp *spec) error {
	parts := strings.Split(tok, ":")
	if len(parts) != 2 && len(parts) != 3 {
		return fmt.Errorf("bad time %q: want H:M or H:M:S", tok)
	}
	if len(parts) == 2 {
		parts = append(parts, "0")
	}
	h, err := parseValues(fHour, parts[0], false)
	if err != nil {
		return err
	}
	m, err := parseValues(fMinute, parts[1], false)
	if err != nil {
		return err
	}
	s, err := parseValues(fSecond, parts[2], false)
	if err != nil {
		return err
	}
	sp.hours, sp.minutes, sp.seconds = uint32(lowMask(h)), lowMask(m), lowMask(s)
	return nil
}

func parseDate(tok string, sp *spec) error {
	parts := strings.Split(tok, "-")
	if len(parts) != 2 && len(parts) != 3 {
		return fmt.Errorf("bad date %q: want M-D or Y-M-D", strings.ReplaceAll(tok, "-~", "~"))
	}
	if len(parts) == 2 {
		parts = append([]string{"*"}, parts...)
	}
	y, err := parseValues(fYear, parts[0], false)
	if err != nil {
		return err
	}
	m, err := parseValues(fMonth, parts[1], false)
	if err != nil {
		return err
	}
	d, err := parseValues(fDay, parts[2], false)
	if err != nil {
		return err
	}
	sp.years = y
	sp.months = uint16(lowMask(m))
	// Day set bit i holds value i-31: split it into positive days and
	// end-of-month offsets (value -k -> bit k; value 0 is kept but never matches).
	for x := -31; x <= 31; x++ {
		i := x + 31
		if d[i>>6]&(1<<(uint(i)&63)) == 0 {
			continue
		}
		if x > 0 {
			sp.days |= 1 << x
		} else {
			sp.rdays |= 1 << -x
		}
	}
	return nil
}

// parseExpr parses one line without its zone.
func parseExpr(expr string) (spec, error) {
	var sp spec
	if low, ok := pyLowerASCII(expr); ok {
		if full, ok := shorthands[low]; ok {
			expr = full
		}
	}
	// "month~day" is read as a date whose day field starts with "~".
	parts := pycompat.Fields(strings.ReplaceAll(expr, "~", "-~"))
	if len(parts) == 0 {
		return sp, errors.New("empty expression")
	}
	if last := parts[len(parts)-1]; strings.Contains(last, ":") {
		if err := parseTime(last, &sp); err != nil {
			return sp, err
		}
		parts = parts[:len(parts)-1]
	} else {
		sp.hours, sp.minutes, sp.seconds = 1, 1, 1
	}
	if n := len(parts); n > 0 && strings.Contains(parts[n-1], "-") && strings.IndexByte("0123456789*", parts[n-1][0]) >= 0 {
		if err := parseDate(parts[n-1], &sp); err != nil {
			return sp, err
		}
		parts = parts[:n-1]
	} else {
		sp.years = valueSet{^uint64(0), ^uint64(0), ^uint64(0), (1 << (maxYear - 1970 - 192)) - 1}
		sp.months = 0x1ffe
		sp.days = 0xfffffffe
	}
	dow := uint8(0x7f)
	if len(parts) > 0 {
		var err error
		if dow, err = parseWeekdays(parts[0]); err != nil {
			return sp, err
		}
		parts = parts[1:]
	}
	if len(parts) > 0 {
		return sp, fmt.Errorf("unexpected %q: want [weekday] [date] [time] [zone]", parts[0])
	}
	for first := range 7 {
		var m uint64
		for d := 1; d <= 31; d++ {
			if dow&(1<<((first+d-1)%7)) != 0 {
				m |= 1 << d
			}
		}
		sp.dowMask[first] = m
	}
	return sp, nil
}

// zoneLoader loads zone names the way Python's zoneinfo would accept them,
// caching within one Parse call.
type zoneLoader map[string]*time.Location

func (zl zoneLoader) load(name string) *time.Location {
	// No zone name starts with a digit or "*"; upstream skips those too.
	if name == "" || strings.IndexByte("0123456789*", name[0]) >= 0 {
		return nil
	}
	if loc, ok := zl[name]; ok {
		return loc
	}
	var loc *time.Location
	// Go maps "Local" to the process zone; there is no such zone file.
	if name != "Local" {
		if l, err := time.LoadLocation(name); err == nil {
			loc = l
		}
	}
	zl[name] = loc
	return loc
}

// looksLikeZone only shapes error messages: a token that cannot be a
// weekday or a time is reported as an unknown zone.
func looksLikeZone(tok string) bool {
	if strings.IndexByte("0123456789*", tok[0]) >= 0 || strings.ContainsAny(tok, ",.:") {
		return false
	}
	_, err := weekdayValue(tok)
	return err != nil
}

// parseLine parses one line, including an optional trailing zone.
func parseLine(raw string, zl zoneLoader) (spec, error) {
	expr := pycompat.Strip(raw)
	if expr == "" {
		return spec{}, errors.New("empty line")
	}
	var zone *time.Location
	var zoneCandidate, headCandidate string
	// Upstream only looks for a zone when the line contains an ASCII space;
	// "12:00\tUTC" is therefore invalid.
	if strings.Contains(expr, " ") {
		if head, last, ok := pycompat.RSplit1(expr); ok {
			if z := zl.load(last); z != nil {
				expr, zone = head, z
			} else if looksLikeZone(last) {
				zoneCandidate, headCandidate = last, head
			}
		}
	}
	sp, err := parseExpr(expr)
	if err != nil {
		// Give a clearer reason when the only problem is the zone name.
		if zoneCandidate != "" {
			if _, herr := parseExpr(headCandidate); herr == nil {
				return sp, fmt.Errorf("unknown time zone %q", zoneCandidate)
			}
		}
		return sp, err
	}
	sp.zone = zone
	return sp, nil
}
