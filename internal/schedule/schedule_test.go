package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule/corpus"
)

func TestGuessKind(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"* * * * *", "cron"},
		{"30 3 * * MON-FRI", "cron"},
		{"  0 0 * * *  ", "cron"},
		{"0\t0  *\t* *", "cron"},
		{"0 0 * * *\n", "cron"},       // only the stripped text must be one line
		{"0 0 * * *\r\n", "cron"},     // \r is whitespace to Python too
		{"0 0\x1c* * *", "cron"},      // so is the ASCII file separator
		{"0 0\u00a0* * *", "cron"},    // and the no-break space
		{"0 0\n* * *", "oncalendar"},  // five fields, but two lines
		{"0 0 * * * *", "oncalendar"}, // six fields
		{"0 0 * *", "oncalendar"},     // four fields
		{"@daily", "oncalendar"},
		{"Mon *-*-* 12:00", "oncalendar"},
		{"daily\nweekly", "oncalendar"},
		{"", "oncalendar"},
	}
	for _, tt := range tests {
		if got := GuessKind(tt.expr); got != tt.want {
			t.Errorf("GuessKind(%q) = %q, want %q", tt.expr, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, kind, expr, tz string
		want                 error  // errors.Is target
		msg                  string // exact message, when it matters
	}{
		{"engine error passed through", "cron", "0 0 32 * *", "UTC", ErrInvalidSchedule,
			"invalid cron expression: day-of-month 32 is out of range 1-31"},
		{"unknown zone", "cron", "0 0 * * *", "X", ErrUnknownTZ, `unknown time zone "X"`},
		{"empty zone", "cron", "0 0 * * *", "", ErrUnknownTZ, `unknown time zone ""`},
		{"zone with NUL", "oncalendar", "daily", "UTC\x00", ErrUnknownTZ, `unknown time zone "UTC\x00"`},
		{"unknown kind", "hourly", "0 0 * * *", "UTC", ErrUnknownKind, `unknown schedule kind "hourly"`},
		{"empty kind", "", "0 0 * * *", "UTC", ErrUnknownKind, ""},
		{"101 characters", "oncalendar", "Mon " + strings.Repeat(",Mon", 24) + "X", "UTC", ErrScheduleTooLong,
			"schedule is too long: 101 characters, the limit is 100"},
		{"10 KB", "cron", strings.Repeat("*", 10240), "UTC", ErrScheduleTooLong, ""},
		{"empty cron", "cron", "", "UTC", ErrInvalidSchedule, "invalid cron expression: the expression is empty"},
		{"blank oncalendar", "oncalendar", " \n\t", "UTC", ErrInvalidSchedule, "invalid OnCalendar expression: the expression is empty"},
		{"six-field cron", "cron", "0 0 0 * * *", "UTC", ErrInvalidSchedule, "invalid cron expression: expected 5 fields, got 6"},
		{"four-field cron", "cron", "0 0 * *", "UTC", ErrInvalidSchedule, ""},
		{"cron alias", "cron", "@daily", "UTC", ErrInvalidSchedule, ""},
		{"cron never fires", "cron", "1 1 */100 * MON#4", "UTC", ErrInvalidSchedule, ""},
		{"cron impossible date", "cron", "0 0 30 2 *", "UTC", ErrInvalidSchedule, ""},
		{"oncalendar line with 5 parts", "oncalendar", "daily\nMon 2024-01-01 12:00 UTC x", "UTC", ErrInvalidSchedule,
			"invalid OnCalendar expression: line 2 has 5 parts, at most 4 are allowed"},
		{"oncalendar impossible date", "oncalendar", "*-02-30", "UTC", ErrInvalidSchedule, ""},
		{"oncalendar before 2000 only", "oncalendar", "1999-01-01", "UTC", ErrInvalidSchedule, ""},
		{"oncalendar NUL byte", "oncalendar", "12:00\x00", "UTC", ErrInvalidSchedule, ""},
		{"oncalendar empty middle line", "oncalendar", "Mon\n\nTue", "UTC", ErrInvalidSchedule, ""},
		{"cron given to oncalendar", "oncalendar", "0 0 * * *", "UTC", ErrInvalidSchedule, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sch, err := Parse(tt.kind, tt.expr, tt.tz)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse error = %v, want %v", err, tt.want)
			}
			if sch != nil {
				t.Errorf("Parse returned a schedule with an error")
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message = %q, want %q", err.Error(), tt.msg)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	after := time.Date(2024, 5, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		kind, expr, tz string
		want           time.Time
	}{
		{"cron", "0 10 * * *", "Australia/Brisbane", time.Date(2024, 5, 11, 0, 0, 0, 0, time.UTC)},
		{"cron", "0 0 * * *", "Europe/Kiev", time.Date(2024, 5, 10, 21, 0, 0, 0, time.UTC)},
		{"cron", "0 0\n* * *", "UTC", time.Date(2024, 5, 11, 0, 0, 0, 0, time.UTC)}, // the UI accepts this
		{"oncalendar", "12:00:01", "UTC", time.Date(2024, 5, 10, 12, 0, 1, 0, time.UTC)},
		{"oncalendar", "Sat 08:00\nSun 09:00", "UTC", time.Date(2024, 5, 11, 8, 0, 0, 0, time.UTC)},
		{"oncalendar", "daily Asia/Tokyo", "UTC", time.Date(2024, 5, 10, 15, 0, 0, 0, time.UTC)},
		{"oncalendar", "2001-01-01", "UTC", time.Time{}}, // valid, but ran out long ago
	}
	for _, tt := range tests {
		sch, err := Parse(tt.kind, tt.expr, tt.tz)
		if err != nil {
			t.Errorf("Parse(%q, %q, %q): %v", tt.kind, tt.expr, tt.tz, err)
			continue
		}
		got, ok := sch.Next(after)
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("%s %q in %s: Next = %v, %v; want %v", tt.kind, tt.expr, tt.tz, got, ok, tt.want)
		}
		if ok && got.Location() != time.UTC {
			t.Errorf("%q: Next location %v, want UTC", tt.expr, got.Location())
		}
	}
	if sch, err := Parse("simple", "", ""); sch != nil || err != nil {
		t.Errorf("Parse(simple) = %v, %v; want nil, nil", sch, err)
	}
}

// The library drops sub-seconds and searches strictly after what remains.
func TestNextIgnoresSubSeconds(t *testing.T) {
	sch, err := Parse("oncalendar", "*:*:0/1", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	after := time.Date(2024, 1, 1, 0, 0, 0, 999_999_999, time.UTC)
	got, _ := sch.Next(after)
	if want := time.Date(2024, 1, 1, 0, 0, 1, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Next(%v) = %v, want %v", after, got, want)
	}
}

// Ported from upstream's check model tests: statuses of real cron and
// OnCalendar schedules around their fire times.
func TestStatusWithEngines(t *testing.T) {
	midnight := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	mk := func(kind, expr, tz string, lastPing time.Time, grace time.Duration) *model.Check {
		c := model.NewCheck(1, lastPing)
		c.Kind, c.Schedule, c.TZ, c.Status, c.LastPing = kind, expr, tz, "up", &lastPing
		if grace > 0 {
			c.Grace = grace
		}
		return &c
	}
	ts := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		c    *model.Check
		now  time.Time
		want string
	}{
		{"cron before midnight", mk("cron", "0 0 * * *", "UTC", midnight, 0), ts("2000-01-01T23:59:00Z"), "up"},
		{"cron at midnight", mk("cron", "0 0 * * *", "UTC", midnight, 0), ts("2000-01-02T00:00:00Z"), "grace"},
		{"cron an hour later", mk("cron", "0 0 * * *", "UTC", midnight, 0), ts("2000-01-02T01:00:00Z"), "down"},
		{"oncalendar before midnight", mk("oncalendar", "00:00", "UTC", midnight, 0), ts("2000-01-01T23:59:00Z"), "up"},
		{"oncalendar at midnight", mk("oncalendar", "00:00", "UTC", midnight, 0), ts("2000-01-02T00:00:00Z"), "grace"},
		{"oncalendar an hour later", mk("oncalendar", "00:00", "UTC", midnight, 0), ts("2000-01-02T01:00:00Z"), "down"},
		{"oncalendar ran out", mk("oncalendar", "2019-01-01", "UTC", ts("2020-01-01T00:00:00Z"), 0), ts("2020-01-01T01:00:00Z"), "up"},
		{"Brisbane 09:59", mk("cron", "0 10 * * *", "Australia/Brisbane", midnight, 0), ts("2000-01-01T23:59:00Z"), "up"},
		{"Brisbane 10:00", mk("cron", "0 10 * * *", "Australia/Brisbane", midnight, 0), ts("2000-01-02T00:00:00Z"), "grace"},
		{"Brisbane 11:00", mk("cron", "0 10 * * *", "Australia/Brisbane", midnight, 0), ts("2000-01-02T01:00:00Z"), "down"},
		// Riga falls back at 01:00 UTC; the next :15 is 01:15 UTC.
		{"autumn DST", mk("cron", "15 * * * *", "Europe/Riga", ts("2023-10-29T00:55:00Z"), 5*time.Minute), ts("2023-10-29T01:05:00Z"), "up"},
	}
	cache := NewCache(16)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := Evaluate(tt.c, cache, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("status = %q, want %q", got, tt.want)
			}
		})
	}

	// upstream: next_ping of "0 * * * *" after 2000-01-01 00:00 is 01:00 UTC.
	c := mk("cron", "0 * * * *", "UTC", midnight, 0)
	sch, err := Parse(c.Kind, c.Schedule, c.TZ)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := GraceStart(c, sch, true); !ok || !got.Equal(midnight.Add(time.Hour)) {
		t.Fatalf("GraceStart = %v, %v", got, ok)
	}
}

// TestCorpus runs the shared oracle corpus through Parse and the bound
// schedules, which exercises this package's validation (field counts, the
// 2000-01-01 rule, zones) on top of the engines.
func TestCorpus(t *testing.T) {
	cases, err := corpus.Load("testdata/cases-public.jsonl", "")
	if err != nil {
		t.Fatal(err)
	}
	var n, failed int
	for _, c := range cases {
		n++
		tz := c.TZ
		if tz == "" {
			tz = "UTC"
		}
		sch, err := Parse(c.Kind, c.Expr, tz)
		if (err == nil) != c.Valid {
			failed++
			t.Errorf("%s: Parse(%s, %q) error = %v, want valid=%v", c.ID, c.Kind, c.Expr, err, c.Valid)
			continue
		}
		if !c.Valid {
			continue
		}
		after, err := time.Parse(time.RFC3339, c.After)
		if err != nil {
			t.Fatalf("%s: bad after: %v", c.ID, err)
		}
		var got []string
		for range c.Next {
			next, ok := sch.Next(after)
			if !ok {
				break
			}
			got = append(got, next.Format(time.RFC3339))
			after = next
		}
		if strings.Join(got, " ") != strings.Join(c.Next, " ") {
			failed++
			t.Errorf("%s: %s %q in %s: got %v, want %v", c.ID, c.Kind, c.Expr, c.TZ, got, c.Next)
		}
	}
	if n != 3000 {
		t.Fatalf("corpus has %d cases, want 3000", n)
	}
	t.Logf("%d cases, %d failed", n, failed)
}
