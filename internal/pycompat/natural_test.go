package pycompat_test

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/pycompat"
)

// The keys were printed by CPython 3.11 with upstream's natural_name_key
// (hc/front/templatetags/hc_extras.py) applied to each name.
func TestNaturalNameKey(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"", ""},
		{"job 9", "job 00000009"},
		{"job 10", "job 00000010"},
		{"Job 10", "job 00000010"},
		{"  backup  ", "backup"},
		{"007", "00000007"},
		{"7", "00000007"},
		{"a0", "a00000000"},
		{"a000", "a00000000"},
		{"123456789", "123456789"},
		{"99999999", "99999999"},
		{"x1y22z333", "x00000001y00000022z00000333"},
		{"\u0663\u0664 arabic", "00000034 arabic"},
		{"mix \u06612", "mix 00000012"},
		{"\uff11\uff10 fullwidth", "00000010 fullwidth"},
		{"\U0001d7d9\U0001d7d8 math", "00000010 math"},
		{"\u0130stanbul", "i\u0307stanbul"},
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"},
		{"\u039f\u0394\u039f\u03a3 \u0391\u03a3", "\u03bf\u03b4\u03bf\u03c2 \u03b1\u03c2"},
		{"\u03a3", "\u03c3"},
		{"\u0391\u03a3.", "\u03b1\u03c2."},
		{"\u0391\u03a3'\u0391", "\u03b1\u03c3'\u03b1"},
		{"\u0391\u03a3\u0301", "\u03b1\u03c2\u0301"},
		{"\u001cname\u001f", "name"},
		{"\u00a0nbsp\u3000", "nbsp"},
		{"\u03a3\u0391", "\u03c3\u03b1"},
		{"Stra\u00dfe", "stra\u00dfe"},
		{"\u01c5", "\u01c6"},
		{"v1.2.10", "v00000001.00000002.00000010"},
		{"db-01", "db-00000001"},
		{"db-1", "db-00000001"},
		{"00", "00000000"},
		{"0", "00000000"},
		{"1_000", "00000001_00000000"},
		{"\u00b2", "\u00b2"},
		{"\u2460", "\u2460"},
	} {
		if got := pycompat.NaturalNameKey(tc.name); got != tc.want {
			t.Errorf("NaturalNameKey(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// Names sorted by the key come out in upstream's order: numbers by value,
// case ignored, and upstream's quirk with numbers of nine digits or more.
func TestNaturalNameOrder(t *testing.T) {
	want := []string{"", "2", "Backup 1", "backup 2", "Backup 10", "backup 100", "db-123456789", "db-99999999", "job", "job 9", "Job 10", "job 10 b", "x"}
	got := slices.Clone(want)
	slices.Reverse(got)
	slices.SortStableFunc(got, func(a, b string) int { return strings.Compare(pycompat.NaturalNameKey(a), pycompat.NaturalNameKey(b)) })
	if !slices.Equal(got, want) {
		t.Errorf("sorted:\n got %q\nwant %q", got, want)
	}
}

// ndRun is Python's \d+ on a str.
var ndRun = regexp.MustCompile(`\p{Nd}+`)

// FuzzNaturalNameKey checks the key against a second construction of
// upstream's rule (a regexp over Nd runs, each converted with ParseInt, the
// port of int(), and formatted as "%08d") wherever that one can hold the
// number, and that the key never panics and keeps UTF-8 valid.
func FuzzNaturalNameKey(f *testing.F) {
	for _, s := range []string{"job 10", "\u0663\u0664", " ΟΔΟΣ ", "\u0130", "000000000000000000001", "a1b2", "\xff9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := pycompat.NaturalNameKey(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("key of valid %q is not UTF-8: %q", s, got)
		}
		long := false
		want := ndRun.ReplaceAllStringFunc(pycompat.Strip(pycompat.Lower(s)), func(m string) string {
			n, err := pycompat.ParseInt(m)
			if err != nil || utf8.RuneCountInString(strings.TrimLeft(m, "0")) > 18 {
				long = true
				return m
			}
			return fmt.Sprintf("%08d", n)
		})
		if !long && utf8.ValidString(s) && got != want {
			t.Fatalf("NaturalNameKey(%q) = %q, the regexp construction %q", s, got, want)
		}
	})
}
