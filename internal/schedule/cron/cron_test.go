package cron

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseRejects(t *testing.T) {
	tests := []struct {
		expr    string
		wantErr string // substring of the error message
	}{
		{"0 0 * * * *", "expected 5 fields, got 6"},
		{"* * * *", "expected 5 fields, got 4"},
		{"", "expected 5 fields, got 0"},
		{"@daily", "expected 5 fields, got 1"},
		{"0 0 ? * MON", `bad day-of-month "?"`},
		{"0 0 15W * *", `bad day-of-month "15W"`},
		{"0 0 L-2 * *", `bad day-of-month "L"`},
		{"0 0 32 * *", "day-of-month 32 is out of range 1-31"},
		{"60 * * * *", "minute 60 is out of range 0-59"},
		{"0 24 * * *", "hour 24 is out of range 0-23"},
		{"0 0 0 * *", "day-of-month 0 is out of range 1-31"},
		{"0 0 * 13 *", "month 13 is out of range 1-12"},
		{"0 0 * * 8", "day-of-week 8 is out of range 0-7"},
		{"0 0 * * FOO", `bad day-of-week "FOO"`},
		{"0 0 * * MONDAY", `bad day-of-week "MONDAY"`},
		{"0 0 * JANUARY *", `bad month "JANUARY"`},
		{"0 0 * * JAN", `bad day-of-week "JAN"`},
		{"0 0 * MON *", `bad month "MON"`},
		{"0 22-2 * * *", `bad hour range "22-2"`},
		{"0 0 * * FRI-MON", `bad day-of-week range "FRI-MON"`},
		{"0 0 * NOV-FEB *", `bad month range "NOV-FEB"`},
		{"0 0 * * MON-SUN", `bad day-of-week range "MON-SUN"`},
		{"*/0 * * * *", "the step must be at least 1"},
		{"*/x * * * *", `bad minute step "X"`},
		{"*/2/3 * * * *", `bad minute step "2/3"`},
		{"1,,2 * * * *", `bad minute ""`},
		{"1-2-3 * * * *", `bad minute "2-3"`},
		{"0 0 * * MONL", `bad day-of-week "MONL"`},
		{"0 0 * * 5L-6", `bad day-of-week "5L-6"`},
		{"0 0 * * 8L", "day-of-week 8 is out of range 0-7"},
		{"0 0 * * 1#6", "the occurrence after # must be 1-5"},
		{"0 0 * * 1#0", "the occurrence after # must be 1-5"},
		{"0 0 * * 8#1", "day-of-week 8 is out of range 0-7"},
		{"\u0663 * * * *", `bad minute "٣"`},
		{"0 0 30 2 *", "the expression never matches"},
		{"0 0 31 2,4,6,9,11 *", "the expression never matches"},
		{"1 1 */100 * MON#4", "the expression never matches"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error containing %q", tt.expr, e, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %q, want it to contain %q", tt.expr, err, tt.wantErr)
			}
			if strings.HasPrefix(tt.wantErr, "the expression never matches") && !errors.Is(err, ErrNeverMatches) {
				t.Errorf("Parse(%q) error does not wrap ErrNeverMatches", tt.expr)
			}
		})
	}
}

func bitsOf(vals ...int) uint64 {
	var b uint64
	for _, v := range vals {
		b |= 1 << v
	}
	return b
}

func TestParseFields(t *testing.T) {
	tests := []struct {
		name string
		expr string
		// got picks the field under test out of the parsed expression.
		got  func(e *Expr) uint64
		want uint64
	}{
		{"names ignore case", "0 0 * jan,Mar *", func(e *Expr) uint64 { return e.months }, bitsOf(1, 3)},
		{"month range of names", "0 0 * FEB-APR *", func(e *Expr) uint64 { return e.months }, bitsOf(2, 3, 4)},
		{"star in a list", "*,5 * * * *", func(e *Expr) uint64 { return e.minutes }, rangeBits(0, 59)},
		{"step from a value runs to the end", "5/15 * * * *", func(e *Expr) uint64 { return e.minutes }, bitsOf(5, 20, 35, 50)},
		{"one-value range with step runs to the end", "5-5/20 * * * *", func(e *Expr) uint64 { return e.minutes }, bitsOf(5, 25, 45)},
		{"range with step", "0 8-18/4 * * *", func(e *Expr) uint64 { return e.hours }, bitsOf(8, 12, 16)},
		{"huge step keeps the first value", "*/99999999999999999999 * * * *", func(e *Expr) uint64 { return e.minutes }, bitsOf(0)},
		{"leading zeros", "007 * * * *", func(e *Expr) uint64 { return e.minutes }, bitsOf(7)},
		{"dow 7 is Sunday", "0 0 * * 7", func(e *Expr) uint64 { return e.dows }, bitsOf(0)},
		{"dow */7 is Sunday only", "0 0 * * */7", func(e *Expr) uint64 { return e.dows }, bitsOf(0)},
		{"dow */3 counts 0-7", "0 0 * * */3", func(e *Expr) uint64 { return e.dows }, bitsOf(0, 3, 6)},
		{"dow 1/2 reaches Sunday via 7", "0 0 * * 1/2", func(e *Expr) uint64 { return e.dows }, bitsOf(0, 1, 3, 5)},
		{"dow names", "0 0 * * sun,SAT", func(e *Expr) uint64 { return e.dows }, bitsOf(0, 6)},
		{"dom list", "0 0 1,15,31 * *", func(e *Expr) uint64 { return e.days }, bitsOf(1, 15, 31)},
		{"nL", "0 0 * * 5L,7L", func(e *Expr) uint64 { return uint64(e.dowLast) }, bitsOf(0, 5)},
		{"x#k by name and number", "0 0 * * MON#2,1#4", func(e *Expr) uint64 { return uint64(e.dowNth[1]) }, bitsOf(2, 4)},
		{"0#1 and 7#1 are both Sunday", "0 0 * * 0#1,7#3", func(e *Expr) uint64 { return uint64(e.dowNth[0]) }, bitsOf(1, 3)},
		{"fields split on unicode spaces", "1\u00a02\u3000*\x1c*\t*", func(e *Expr) uint64 { return e.hours }, bitsOf(2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			if got := tt.got(e); got != tt.want {
				t.Errorf("Parse(%q): got bits %b, want %b", tt.expr, got, tt.want)
			}
		})
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		expr              string
		last, lastWeekday bool
		dayAnd, wallClock bool
	}{
		{"0 0 L * *", true, false, true, true},
		{"0 0 L/5 * MON", true, false, false, true},
		{"0 0 LW,15 * 1#1", false, true, false, true},
		{"0 0 */2 * 5", false, false, true, true},     // a step from * is a star field
		{"0 0 1-31/2 * 5", false, false, false, true}, // a range is not
		{"0 0 1 * *,MON", false, false, true, true},   // a list starting with *
		{"*/15 * * * *", false, false, true, false},   // minute starts with *
		{"30 */2 * * *", false, false, true, false},   // hour starts with *
		{"0 0-23/2 * * *", false, false, true, true},  // still a fixed-time job
		{"0 0 29 2 *", false, false, true, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		got := [4]bool{e.dayLast, e.dayLastWeekday, e.dayAnd, e.wallClock}
		want := [4]bool{tt.last, tt.lastWeekday, tt.dayAnd, tt.wallClock}
		if got != want {
			t.Errorf("Parse(%q): L, LW, dayAnd, wallClock = %v, want %v", tt.expr, got, want)
		}
	}
}

// chain calls Next repeatedly, feeding each result back, and formats the
// results in RFC 3339 UTC.
func chain(t *testing.T, expr, zone, after string, n int) []string {
	t.Helper()
	e, err := Parse(expr)
	if err != nil {
		t.Fatalf("Parse(%q): %v", expr, err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatalf("load %q: %v", zone, err)
	}
	a, err := time.Parse(time.RFC3339Nano, after)
	if err != nil {
		t.Fatalf("parse %q: %v", after, err)
	}
	var out []string
	for range n {
		r, ok := e.Next(a, loc)
		if !ok {
			t.Fatalf("Next(%q, %s, %s): no match", expr, zone, a)
		}
		out = append(out, r.Format(time.RFC3339))
		a = r
	}
	return out
}

func TestNextDayRules(t *testing.T) {
	tests := []struct {
		name, expr, after string
		want              []string
	}{
		{"AND when a day field starts with *: Fridays on odd days", "0 0 */2 * 5", "2026-01-01T00:00:00Z",
			[]string{"2026-01-09T00:00:00Z", "2026-01-23T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-27T00:00:00Z"}},
		{"OR otherwise: odd days plus Fridays", "0 0 1-31/2 * 5", "2026-01-01T00:00:00Z",
			[]string{"2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z", "2026-01-05T00:00:00Z", "2026-01-07T00:00:00Z"}},
		{"star list gives AND: first Monday", "1 1 */100,1-7 * MON", "2026-01-01T00:00:00Z",
			[]string{"2026-01-05T01:01:00Z", "2026-02-02T01:01:00Z", "2026-03-02T01:01:00Z"}},
		{"range gives OR: days 1-7 plus Mondays", "0 0 1-7 * MON", "2026-01-06T00:00:00Z",
			[]string{"2026-01-07T00:00:00Z", "2026-01-12T00:00:00Z", "2026-01-19T00:00:00Z", "2026-01-26T00:00:00Z", "2026-02-01T00:00:00Z"}},
		{"L including a leap February", "0 0 L * *", "2024-01-15T00:00:00Z",
			[]string{"2024-01-31T00:00:00Z", "2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z"}},
		{"LW skips a weekend month end", "0 0 LW * *", "2026-01-15T00:00:00Z",
			[]string{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z"}},
		{"5L last Friday", "0 0 * * 5L", "2026-01-01T00:00:00Z",
			[]string{"2026-01-30T00:00:00Z", "2026-02-27T00:00:00Z", "2026-03-27T00:00:00Z"}},
		{"list of x#k and nL", "0 0 * * MON#1,5L", "2026-01-01T00:00:00Z",
			[]string{"2026-01-05T00:00:00Z", "2026-01-30T00:00:00Z", "2026-02-02T00:00:00Z", "2026-02-27T00:00:00Z"}},
		{"fifth Monday of February only in some leap years", "0 0 * 2 MON#5", "2020-01-01T00:00:00Z",
			[]string{"2044-02-29T00:00:00Z", "2072-02-29T00:00:00Z"}},
		{"Feb 29", "0 12 29 2 *", "2024-02-29T12:00:00Z",
			[]string{"2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"}},
		{"strictly after, sub-second dropped", "30 10 * * *", "2026-05-05T10:29:59.999Z",
			[]string{"2026-05-05T10:30:00Z", "2026-05-06T10:30:00Z"}},
		{"sub-second past a fire time", "30 10 * * *", "2026-05-05T10:30:00.5Z",
			[]string{"2026-05-06T10:30:00Z"}},
		{"year boundary", "59 23 31 12 *", "2026-12-31T23:59:00Z",
			[]string{"2027-12-31T23:59:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chain(t, tt.expr, "UTC", tt.after, len(tt.want))
			if !equalStrings(got, tt.want) {
				t.Errorf("%q after %s:\n got  %v\n want %v", tt.expr, tt.after, got, tt.want)
			}
		})
	}
}

func TestNextNilLocationIsUTC(t *testing.T) {
	e, err := Parse("0 9 * * *")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Date(2026, 1, 1, 10, 0, 0, 0, time.FixedZone("X", 3600))
	got, ok := e.Next(after, nil)
	want := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	if !ok || !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("Next = %v, %v; want %v in UTC", got, ok, want)
	}
}

func TestNextOutsidePythonRange(t *testing.T) {
	e, err := Parse("* * * * *")
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Time{
		time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, ok := e.Next(after, time.UTC); ok {
			t.Errorf("Next(%v) = %v, want ok=false", after, got)
		}
	}
}

// TestSearchWindow checks the 50-year rule at the level where it can be
// observed: a match in a year past the limit is not found.
func TestSearchWindow(t *testing.T) {
	e, err := Parse("0 0 29 2 *")
	if err != nil {
		t.Fatal(err)
	}
	start := joinWall(2001, 3, 1, 0, 0)
	if _, ok := e.nextWall(start, 2003); ok {
		t.Error("found a Feb 29 before 2004")
	}
	got, ok := e.nextWall(start, 2004)
	if want := joinWall(2004, 2, 29, 0, 0); !ok || got != want {
		t.Errorf("nextWall = %d, %v; want %d", got, ok, want)
	}
}
