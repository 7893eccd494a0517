package oncalendar

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse %s: %v", s, err)
	}
	return v
}

func TestParseAccepts(t *testing.T) {
	for _, expr := range []string{
		"Mon..Fri", "Mon-Fri", "monday,WEDNESDAY", "Mon,", "Mon,,", "Sat,Sun 12:00",
		"*-*-* 02:00", "*:0/15", "0/2:00", "1..5:0/30", "12:00:30", "12:00",
		"2024-02-29", "24-02-29", "99..05-01-01", "2199-12-31 23:59:59",
		"*-*~1", "*-02~1", "Sun *-*~7/1", "*-*~1..31", "*-*~*", "*~3", "*-*-5..5/10",
		"2020/3-01-01", "*-01,04,07,10-01", "*-1..12/3-1",
		"minutely", "HOURLY", "Daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually",
		"daily Europe/Riga", "12:00 UTC", "Mon 12:00\tEtc/GMT-14", "Mon *-*-* 12:00 America/New_York",
		"12:00\n13:00 Europe/Riga", "  12:00 \r\n 13:00\r\n", "Tue\u00a0 12:00", "fr\u0131 12:00", "\u017fat", "wee\u212aly",
		"00000000000000000000001:00", "0/99999999999999999999:00",
	} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"", "empty"},
		{"   \n", "empty"},
		{"12:00\n\n13:00", "line 2: empty line"},
		{"12:00\nMox 12:00", `line 2: bad weekday "Mox"`},
		{"25:00", "hour 25 is out of range 0-23"},
		{"12:60", "minute 60 is out of range 0-59"},
		{"12:00:60", "second 60 is out of range 0-59"},
		{"12:00:00.5", `bad second "00.5"`},
		{"*-13-01", "month 13 is out of range 1-12"},
		{"*-01-32", "day 32 is out of range 1-31"},
		{"1969-01-01", "year 1969 is out of range 1970-2199"},
		{"2200-01-01", "year 2200 is out of range"},
		{"100-01-01", "year 100 is out of range"},
		{"*/2:00", `must stand alone`},
		{"*-*-1,*", `must stand alone`},
		{"* 12:00", `"*" is not allowed in weekdays`},
		{"Fri..Mon", "goes backwards"},
		{"Mon..Fri/2", `bad weekday "Fri/2"`},
		{"1 12:00", `bad weekday "1"`},
		{"Mon,Tue,", ""}, // accepted: see below
		{"5..3:00", `hour range "5..3" goes backwards`},
		{"0/0:00", "step 0"},
		{"0/x:00", "bad step"},
		{"*-*~29", "must be 1-28"},
		{"*-*-~1", "bad date"},
		{"1:2:3:4", "bad time"},
		{"Mon Tue 12:00", `unexpected "Tue"`},
		{"Mon Tue", `unexpected "Tue"`},
		{"Mon *-*-* 12:00 UTC extra", "5 fields, at most 4"},
		{"12:00 Mars/Base", `unknown time zone "Mars/Base"`},
		{"12:00 Local", `unknown time zone "Local"`},
		{"12:00\tUTC", `bad weekday "12:00"`}, // a zone needs an ASCII space before it
		{"UTC", `bad weekday "UTC"`},
		{"@daily", `bad weekday "@daily"`},
		{"daily 12:00", `bad weekday "daily"`},
		{"*-02-30", "never occurs"},
		{"2023-11-31", "never occurs"},
		{"2000-01-01 00:00:00", "never occurs"},
		{"99-01-01", "never occurs"}, // 1999: nothing after 2000
		{"70..99-*-*", "never occurs"},
		{"1\u0661:00", `bad hour`},
		{"ı2:00", `bad hour`},
		{"Tüe", `bad weekday`},
		{"Thu\u0130", `bad weekday`},
		{"daİly", `bad weekday`},
	} {
		_, err := Parse(tc.expr)
		if tc.want == "" {
			if err != nil {
				t.Errorf("Parse(%q): %v", tc.expr, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error containing %q", tc.expr, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%q) = %q, want it to contain %q", tc.expr, err, tc.want)
		}
	}
	if _, err := Parse("*-02-30"); !errors.Is(err, ErrNeverOccurs) {
		t.Errorf("Parse(*-02-30) error %v is not ErrNeverOccurs", err)
	}
}

// TestNext covers one rule per row; every time is UTC unless tz says otherwise.
func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name, expr, tz, after string
		want                  []string // empty: never due
	}{
		{"default time is midnight", "Mon", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z"}},
		{"strictly after", "12:00", "UTC", "2024-01-01T12:00:00Z",
			[]string{"2024-01-02T12:00:00Z"}},
		{"sub-second dropped then +1s", "*:*:*", "UTC", "2024-01-01T12:00:00.999Z",
			[]string{"2024-01-01T12:00:01Z", "2024-01-01T12:00:02Z"}},
		{"step from a start value", "*:50/4", "UTC", "2024-01-01T12:00:00Z",
			[]string{"2024-01-01T12:50:00Z", "2024-01-01T12:54:00Z", "2024-01-01T12:58:00Z", "2024-01-01T13:50:00Z"}},
		{"step over a range", "1..10/3:00", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-01-01T01:00:00Z", "2024-01-01T04:00:00Z", "2024-01-01T07:00:00Z", "2024-01-01T10:00:00Z", "2024-01-02T01:00:00Z"}},
		{"single-value range steps to the end", "*-*-5..5/10", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-01-05T00:00:00Z", "2024-01-15T00:00:00Z", "2024-01-25T00:00:00Z", "2024-02-05T00:00:00Z"}},
		{"last day of month", "*-*~1", "UTC", "2024-01-31T00:00:00Z",
			[]string{"2024-02-29T00:00:00Z", "2024-03-31T00:00:00Z", "2024-04-30T00:00:00Z"}},
		{"last Sunday of month", "Sun *-*~7/1", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-01-28T00:00:00Z", "2024-02-25T00:00:00Z", "2024-03-31T00:00:00Z"}},
		{"weekday and date both apply", "Fri *-*-13", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-09-13T00:00:00Z", "2024-12-13T00:00:00Z"}},
		{"leap day", "*-02-29 12:00", "UTC", "2024-03-01T00:00:00Z",
			[]string{"2028-02-29T12:00:00Z"}},
		{"two-digit year range", "28..29-02-29", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z"}},
		{"year-limited schedule runs out", "2030-01-01", "UTC", "2029-06-01T00:00:00Z",
			[]string{"2030-01-01T00:00:00Z"}},
		{"end at year 2200", "*-12-31 23:59:59", "UTC", "2198-06-01T00:00:00Z",
			[]string{"2198-12-31T23:59:59Z", "2199-12-31T23:59:59Z"}},
		{"before 1970 starts in 1970", "*-*-* 00:00", "UTC", "1960-06-01T00:00:00Z",
			[]string{"1970-01-01T00:00:00Z"}},
		{"line zone overrides check zone", "12:00 Asia/Kolkata", "Europe/Riga", "2024-01-01T00:00:00Z",
			[]string{"2024-01-01T06:30:00Z", "2024-01-02T06:30:00Z"}},
		{"union of lines", "12:53\n00:53", "UTC", "2024-02-27T00:00:00Z",
			[]string{"2024-02-27T00:53:00Z", "2024-02-27T12:53:00Z", "2024-02-28T00:53:00Z"}},
		{"weekly shorthand is Monday", "weekly", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-01-08T00:00:00Z"}},
		{"quarterly shorthand", "quarterly", "UTC", "2024-01-01T00:00:00Z",
			[]string{"2024-04-01T00:00:00Z", "2024-07-01T00:00:00Z", "2024-10-01T00:00:00Z", "2025-01-01T00:00:00Z"}},

		// DST, Europe/Riga: spring 2024-03-31 03:00 EET -> 04:00 EEST,
		// fall 2024-10-27 04:00 EEST -> 03:00 EET.
		{"gap time is skipped, not shifted", "03:30", "Europe/Riga", "2024-03-30T12:00:00Z",
			[]string{"2024-04-01T00:30:00Z"}},
		{"gap minutes are skipped", "*:0/20", "Europe/Riga", "2024-03-31T00:50:00Z",
			[]string{"2024-03-31T01:00:00Z"}},
		{"repeated time fires on the first pass only", "03:30", "Europe/Riga", "2024-10-26T12:00:00Z",
			[]string{"2024-10-27T00:30:00Z", "2024-10-28T01:30:00Z"}},
		{"repeated hour is not repeated for steps", "*:0/30", "Europe/Riga", "2024-10-27T00:15:00Z",
			[]string{"2024-10-27T00:30:00Z", "2024-10-27T02:00:00Z"}},
		{"per-second schedule jumps over the whole gap", "*:*:0/30", "Europe/Riga", "2024-03-31T00:59:30Z",
			[]string{"2024-03-31T01:00:00Z", "2024-03-31T01:00:30Z"}},
		{"year end beyond the zone file's last transition", "Sun 12~1", "Antarctica/Troll", "2051-12-31T00:00:00Z",
			[]string{"2056-12-31T00:00:00Z", "2062-12-31T00:00:00Z"}},
		{"second pass restarts from the same wall time", "*:0/30", "Europe/Riga", "2024-10-27T01:15:00Z",
			[]string{"2024-10-27T00:30:00Z"}},
		// New York, fall 2024-11-03 02:00 EDT -> 01:00 EST. Lines are compared
		// by wall time in the check's zone: after 01:45 EDT (05:45Z) the UTC
		// line firing at 06:00Z shows 01:00 EST and beats 05:50Z (01:50 EDT),
		// so 05:50Z is never reported.
		{"multi-line merge compares wall clocks", "*:0/20 UTC\n*:10/20 UTC", "America/New_York", "2024-11-03T05:45:00Z",
			[]string{"2024-11-03T06:00:00Z", "2024-11-03T06:10:00Z", "2024-11-03T06:20:00Z"}},
		{"multi-line union in one zone", "01:50\n01:00", "America/New_York", "2024-11-03T05:45:00Z",
			[]string{"2024-11-03T05:50:00Z", "2024-11-04T06:00:00Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(tc.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.expr, err)
			}
			loc := mustLoad(t, tc.tz)
			after := mustTime(t, tc.after)
			for i, w := range tc.want {
				got, ok := s.Next(after, loc)
				if !ok {
					t.Fatalf("step %d: never due, want %s", i, w)
				}
				if g := got.Format(time.RFC3339); g != w {
					t.Fatalf("step %d after %s: got %s, want %s", i, after.Format(time.RFC3339Nano), g, w)
				}
				if got.Location() != time.UTC {
					t.Fatalf("result is in %v, want UTC", got.Location())
				}
				after = got
			}
		})
	}
}

func TestNextNeverDue(t *testing.T) {
	s, err := Parse("2030-01-01")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Next(mustTime(t, "2030-01-01T00:00:00Z"), nil); ok {
		t.Fatalf("got %v, want never due", got)
	}
	s, err = Parse("*-*-* 12:00")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Next(mustTime(t, "2199-12-31T12:00:00Z"), nil); ok {
		t.Fatalf("got %v, want never due at the 2200 limit", got)
	}
}

func TestConcurrentNext(t *testing.T) {
	s, err := Parse("*:0/7\n12:00 Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	loc := mustLoad(t, "America/New_York")
	after := mustTime(t, "2024-11-03T05:00:00Z")
	want, _ := s.Next(after, loc)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got, _ := s.Next(after, loc); !got.Equal(want) {
					errs <- got.String()
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("concurrent Next gave %s, want %s", e, want)
	}
}

func TestNextNilLocIsUTC(t *testing.T) {
	s, err := Parse("12:00")
	if err != nil {
		t.Fatal(err)
	}
	after := mustTime(t, "2024-05-05T00:00:00Z")
	a, _ := s.Next(after, nil)
	b, _ := s.Next(after, time.UTC)
	if !a.Equal(b) || a.Format(time.RFC3339) != "2024-05-05T12:00:00Z" {
		t.Fatalf("nil loc gave %v, UTC gave %v", a, b)
	}
}
