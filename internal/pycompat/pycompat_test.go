package pycompat

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Every expected value below was printed by CPython 3.11 for the same input
// (the snippet is given with each table).

// pySpace is [hex(c) for c in range(0x110000) if chr(c).isspace()].
var pySpace = []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003,
	0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000}

func TestIsSpaceEveryCodePoint(t *testing.T) {
	want := map[rune]bool{}
	for _, r := range pySpace {
		want[r] = true
	}
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if got := IsSpace(r); got != want[r] {
			t.Errorf("IsSpace(%U) = %v, Python: %v", r, got, want[r])
		}
		if r >= 0xd800 && r <= 0xdfff {
			continue
		}
		if got := Strip(string(r)) == ""; got != want[r] {
			t.Errorf("Strip(%U) strips it: %v, Python: %v", r, got, want[r])
		}
	}
}

// s.strip(), s.rstrip(), s.split()
func TestStripAndSplit(t *testing.T) {
	for _, tc := range []struct {
		in, strip, rstrip string
		split             []string
	}{
		{"", "", "", nil},
		{"   ", "", "", nil},
		{" a b ", "a b", " a b", []string{"a", "b"}},
		{"\x1cfoo\x1f", "foo", "\x1cfoo", []string{"foo"}},
		{"\u3000a\u00a0\u2028b c\u0085", "a\u00a0\u2028b c", "\u3000a\u00a0\u2028b c", []string{"a", "b", "c"}},
		{"a\u200bb", "a\u200bb", "a\u200bb", []string{"a\u200bb"}}, // ZERO WIDTH SPACE is not whitespace
		{"\ufeffa", "\ufeffa", "\ufeffa", []string{"\ufeffa"}},     // nor is the BOM
		{"a\t\n\v\f\rb", "a\t\n\v\f\rb", "a\t\n\v\f\rb", []string{"a", "b"}},
		{"x\x00 ", "x\x00", "x\x00", []string{"x\x00"}},
		{"a\u3000b", "a\u3000b", "a\u3000b", []string{"a", "b"}},
		{"a\x1cb", "a\x1cb", "a\x1cb", []string{"a", "b"}},
	} {
		if got := Strip(tc.in); got != tc.strip {
			t.Errorf("Strip(%q) = %q, want %q", tc.in, got, tc.strip)
		}
		if got := RStrip(tc.in); got != tc.rstrip {
			t.Errorf("RStrip(%q) = %q, want %q", tc.in, got, tc.rstrip)
		}
		if got := Fields(tc.in); !slices.Equal(got, tc.split) {
			t.Errorf("Fields(%q) = %q, want %q", tc.in, got, tc.split)
		}
		if got := CountFields(tc.in); got != len(tc.split) {
			t.Errorf("CountFields(%q) = %d, want %d", tc.in, got, len(tc.split))
		}
	}
}

// s.rsplit(maxsplit=1) of a stripped s, when it gives two parts.
func TestRSplit1(t *testing.T) {
	for _, tc := range []struct {
		in, head, last string
		ok             bool
	}{
		{"Mon  12:00\u3000UTC", "Mon  12:00", "UTC", true},
		{"a b", "a", "b", true},
		{"a\x1c\x1db", "a", "b", true},
		{"ab", "", "", false},
	} {
		head, last, ok := RSplit1(tc.in)
		if head != tc.head || last != tc.last || ok != tc.ok {
			t.Errorf("RSplit1(%q) = %q %q %v, want %q %q %v", tc.in, head, last, ok, tc.head, tc.last, tc.ok)
		}
	}
}

// int(s); "ERR" is a ValueError.
func TestParseInt(t *testing.T) {
	const bad = "ERR"
	for _, tc := range []struct {
		in   string
		want any // int64 or bad
	}{
		{"0", int64(0)}, {"42", int64(42)}, {" 42 ", int64(42)}, {"+7", int64(7)}, {"-7", int64(-7)},
		{"\t-12\n", int64(-12)}, {"\x0b5\x0c", int64(5)}, {"\r\n5\r\n", int64(5)},
		{"1_000", int64(1000)}, {"0_7", int64(7)}, {"0_0", int64(0)}, {"007", int64(7)}, {"-0", int64(0)},
		{"1__0", bad}, {"_1", bad}, {"1_", bad}, {"+_1", bad},
		{"", bad}, {" ", bad}, {"+", bad}, {"-", bad}, {"+-1", bad}, {"- 5", bad}, {"1 2", bad},
		{"1.0", bad}, {"0x10", bad}, {"5\x00", bad}, {"5\u200b", bad},
		// Non-ASCII decimal digits, alone or mixed with ASCII ones.
		{"١٢٣", int64(123)}, {"٣_٤", int64(34)}, {"1_٣", int64(13)}, {"๓", int64(3)}, {"𝟗", int64(9)}, {"𝟎", int64(0)},
		{"１２", int64(12)}, {"٣a", bad},
		// Non-ASCII whitespace is skipped, but not the ASCII separators
		// U+001C..U+001F, although str.isspace() is true for them.
		{"\u30005\u3000", int64(5)}, {"\u00853\u00a0", int64(3)}, {"\u20285\u2029", int64(5)}, {"\u00a0-5", int64(-5)},
		{"-\u30005", bad}, {"\x1c5\x1f", bad}, {"5\x1f", bad}, {"\x1c5", bad}, {"٣\x1c", bad},
		// Beyond int64: Python has no bound; ParseInt clamps.
		{"9223372036854775807", int64(math.MaxInt64)}, {"9223372036854775808", int64(math.MaxInt64)},
		{"-9223372036854775808", int64(math.MinInt64)}, {"-9223372036854775809", int64(math.MinInt64)},
		{strings.Repeat("1", 4300), int64(math.MaxInt64)}, {strings.Repeat("1", 4301), bad},
		{strings.Repeat("1_", 4300) + "1", bad}, {"-" + strings.Repeat("0", 4300), int64(0)},
	} {
		n, err := ParseInt(tc.in)
		switch {
		case tc.want == bad && err != ErrInt:
			t.Errorf("ParseInt(%.40q) = %d, %v; Python: ValueError", tc.in, n, err)
		case tc.want != bad && (err != nil || n != tc.want.(int64)):
			t.Errorf("ParseInt(%.40q) = %d, %v; want %d", tc.in, n, err, tc.want)
		}
	}
}

// json.dumps(s)
func TestJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\", `"q\"b\\"`},
		{"tab\tnl\n", `"tab\tnl\n"`},
		{"\b\f\r", `"\b\f\r"`},
		{"\x00\x1f ~", `"\u0000\u001f ~"`},
		{"\x01\x7f", `"\u0001\u007f"`}, // DEL is escaped: it is not in " "..."~"
		{"ü☃", `"\u00fc\u2603"`},
		{"😀", `"\ud83d\ude00"`},
		{"\U0010ffff", `"\udbff\udfff"`},
		{"\u2028\u2029", `"\u2028\u2029"`},
		{"\ufeff\uffff", `"\ufeff\uffff"`},
		{"</script>", `"</script>"`}, // no HTML escaping
		{"'&<>", `"'&<>"`},
		{"a\xffb", `"a\ufffdb"`}, // invalid UTF-8: one U+FFFD per bad byte
	} {
		if got := JSONString(tc.in); got != tc.want {
			t.Errorf("JSONString(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if got := string(AppendJSONStringBody([]byte("x"), tc.in)); got != "x"+tc.want[1:len(tc.want)-1] {
			t.Errorf("AppendJSONStringBody(%q) = %s", tc.in, got)
		}
	}
}

// FuzzJSONString: for any valid UTF-8 the output is printable ASCII, valid
// JSON, and decodes back to the input.
func FuzzJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\x7f", "\x00\x1f\"\\/", "ü☃😀", "\u2028", "\ufffd", "a\tb\nc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := JSONString(s)
		for i := 0; i < len(out); i++ {
			if out[i] < 0x20 || out[i] >= 0x7f {
				t.Fatalf("JSONString(%q) = %q holds byte %#x", s, out, out[i])
			}
		}
		var back string
		if err := json.Unmarshal([]byte(out), &back); err != nil {
			t.Fatalf("JSONString(%q) = %s is not JSON: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Fatalf("JSONString(%q) = %s decodes to %q", s, out, back)
		}
	})
}

// point3 is 0.1 + 0.2 in float64 arithmetic (Go folds constants exactly).
var point3 = func(a, b float64) float64 { return a + b }(0.1, 0.2)

// repr(f)
func TestFloatRepr(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {0.0001, "0.0001"}, {1e-05, "1e-05"}, {1.5, "1.5"},
		{123.0, "123.0"}, {math.Copysign(0, -1), "-0.0"}, {0, "0.0"}, {5e-324, "5e-324"},
		{1.7976931348623157e+308, "1.7976931348623157e+308"}, {2.5e-07, "2.5e-07"},
		{point3, "0.30000000000000004"}, {86400.0, "86400.0"}, {3.0, "3.0"}, {2.9, "2.9"}, {1e+22, "1e+22"},
		{123456789.125, "123456789.125"}, {-1.5e-10, "-1.5e-10"}, {9.99999999999999e-05, "9.99999999999999e-05"},
		{math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
	} {
		if got := FloatRepr(tc.f); got != tc.want {
			t.Errorf("FloatRepr(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

// repr(json.loads(lit))
func TestNumberRepr(t *testing.T) {
	for lit, want := range map[string]string{
		"1e16": "1e+16", "1e15": "1000000000000000.0", "0.0001": "0.0001", "1e-05": "1e-05", "1.5": "1.5",
		"1234567890123456789012345678901.0": "1.2345678901234568e+30", "123.0": "123.0", "-0.0": "-0.0",
		"5e-324": "5e-324", "1.7976931348623157e308": "1.7976931348623157e+308", "1e400": "inf", "-1e400": "-inf",
		"0.123456789012345678901234567890": "0.12345678901234568", "1E5": "100000.0", "2.5e-7": "2.5e-07",
		"-0": "0", "0": "0", "-12": "-12", "12345678901234567890123456789012": "12345678901234567890123456789012",
	} {
		if got := NumberRepr(lit); got != want {
			t.Errorf("%s: %s, want %s", lit, got, want)
		}
	}
}

// repr(v)
func TestRepr(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"it's", `"it's"`},
		{`a"b'c`, `'a"b\'c'`},
		{"\x00\u00a0\u200b\U0001f600é\t\\", `'\x00\xa0\u200b` + "\U0001f600é" + `\t\\'`},
		{[]any{"a", nil, true, false}, "['a', None, True, False]"},
		{map[string]any{"b": []any{}, "a": map[string]any{}}, "{'a': {}, 'b': []}"},
		{json.Number("1.0"), "1.0"},
	} {
		if got := Repr(tc.v); got != tc.want {
			t.Errorf("%#v: %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := Str("plain"); got != "plain" {
		t.Errorf("str of a str: %q", got)
	}
	if got := Str(json.Number("1e16")); got != "1e+16" {
		t.Errorf("str of 1e16: %q", got)
	}
}

func decode(body []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil || dec.More() {
		return nil, false
	}
	return doc, true
}

// Which bodies json.loads accepts.
func TestJSONConstants(t *testing.T) {
	for body, ok := range map[string]bool{
		"NaN": true, "[Infinity]": true, `{"a": -Infinity}`: true, "[NaN,NaN]": true, ` {"x": [1, NaN]} `: true,
		"[1NaN]": false, "NaN1": false, "-NaN": false, "- Infinity": false, "nan": false, "Infinityx": false,
	} {
		alt, _ := JSONConstants([]byte(body))
		if _, got := decode(alt); got != ok {
			t.Errorf("%s: parses %v, want %v (rewritten %q)", body, got, ok, alt)
		}
	}
	// Inside strings nothing changes, escaped quotes included.
	body := `{"a": "NaN \" Infinity", "b": NaN}`
	alt, found := JSONConstants([]byte(body))
	if !found || string(alt) != `{"a": "NaN \" Infinity", "b":  0.0 }` {
		t.Errorf("%q %v", alt, found)
	}
	if _, found := JSONConstants([]byte(`{"a": "NaN"}`)); found {
		t.Error("a string was rewritten")
	}
}

func TestHasHugeInt(t *testing.T) {
	for body, want := range map[string]bool{
		strings.Repeat("1", 4300):                    false,
		"-" + strings.Repeat("1", 4300):              false,
		strings.Repeat("1", 4301):                    true,
		`{"a": [` + strings.Repeat("9", 4301) + `]}`: true,
		`{"a": ` + strings.Repeat("9", 4301) + `.5}`: false, // floats have no limit
		`{"a": "` + strings.Repeat("9", 5000) + `"}`: false,
	} {
		doc, ok := decode([]byte(body))
		if !ok {
			t.Fatalf("does not parse: %.30s", body)
		}
		if got := HasHugeInt(doc); got != want {
			t.Errorf("%.30s…: %v, want %v", body, got, want)
		}
	}
}

// b.decode("utf-8", "replace")
func TestDecodeUTF8(t *testing.T) {
	for in, want := range map[string]string{
		"plain ascii":      "plain ascii",
		"glāžšķūņu":        "glāžšķūņu",
		"a\xe2\x82b\xffc":  "a\uFFFDb\uFFFDc",
		"\xed\xa0\x80":     "\uFFFD\uFFFD\uFFFD", // a surrogate
		"\xf4\x90\x80\x80": "\uFFFD\uFFFD\uFFFD\uFFFD",
		"\xc0\xaf":         "\uFFFD\uFFFD",
		"end\xe2\x82":      "end\uFFFD",
		"\xe0\x80\x80":     "\uFFFD\uFFFD\uFFFD",
		"\xf0\x9f\x98":     "\uFFFD",
		"\xf0\x9f\x98\x80": "😀",
		"\xf0\x9f\x98 \xed\xa0\x80 \xc0\xaf \xf4\x90\x80\x80": "\uFFFD \uFFFD\uFFFD\uFFFD \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD\uFFFD",
	} {
		if got := DecodeUTF8([]byte(in)); got != want {
			t.Errorf("DecodeUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

// urllib.parse.quote(s), quote(s, safe=""), unquote(s), unquote_plus(s)
func TestQuoteUnquote(t *testing.T) {
	for _, tc := range []struct{ in, quote, quoteNoSafe string }{
		{"a b", "a%20b", "a%20b"},
		{"a/b", "a/b", "a%2Fb"},
		{"ü", "%C3%BC", "%C3%BC"},
		{"~_.-", "~_.-", "~_.-"},
		{"a+b=c&d", "a%2Bb%3Dc%26d", "a%2Bb%3Dc%26d"},
		{"", "", ""},
		{"%", "%25", "%25"},
		{"\x00", "%00", "%00"},
	} {
		if got := Quote(tc.in, "/"); got != tc.quote {
			t.Errorf("Quote(%q, \"/\") = %q, want %q", tc.in, got, tc.quote)
		}
		if got := Quote(tc.in, ""); got != tc.quoteNoSafe {
			t.Errorf("Quote(%q, \"\") = %q, want %q", tc.in, got, tc.quoteNoSafe)
		}
	}
	for _, tc := range []struct{ in, unquote, unquotePlus string }{
		{"a%2", "a%2", "a%2"}, {"%4", "%4", "%4"}, {"%zz", "%zz", "%zz"}, {"%%41", "%A", "%A"},
		{"%41%42", "AB", "AB"}, {"a+b", "a+b", "a b"}, {"%C3%A9", "é", "é"}, {"%C3", "\ufffd", "\ufffd"},
		{"%C3é", "\ufffdé", "\ufffdé"}, {"%e2%82%ac", "€", "€"}, {"%ff%fe", "\ufffd\ufffd", "\ufffd\ufffd"}, {"%", "%", "%"},
	} {
		if got := Unquote(tc.in); got != tc.unquote {
			t.Errorf("Unquote(%q) = %q, want %q", tc.in, got, tc.unquote)
		}
		if got := UnquotePlus(tc.in); got != tc.unquotePlus {
			t.Errorf("UnquotePlus(%q) = %q, want %q", tc.in, got, tc.unquotePlus)
		}
	}
}

// datetime(..., tzinfo=timezone.utc).isoformat()
func TestISOFormat(t *testing.T) {
	riga := time.FixedZone("EET", 2*3600)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), "2026-11-24T12:00:00+00:00"},
		{time.Date(2026, 11, 24, 12, 0, 0, 5000, time.UTC), "2026-11-24T12:00:00.000005+00:00"},
		{time.Date(2026, 11, 24, 12, 0, 0, 123450000, time.UTC), "2026-11-24T12:00:00.123450+00:00"},
		{time.Date(2026, 11, 24, 12, 0, 0, 999, time.UTC), "2026-11-24T12:00:00+00:00"}, // below a microsecond
		{time.Date(1, 1, 1, 0, 0, 0, 999999000, time.UTC), "0001-01-01T00:00:00.999999+00:00"},
		{time.Date(2026, 11, 24, 14, 0, 0, 0, riga), "2026-11-24T12:00:00+00:00"}, // shown in UTC
	} {
		if got := ISOFormat(tc.t); got != tc.want {
			t.Errorf("ISOFormat(%v) = %s, want %s", tc.t, got, tc.want)
		}
	}
}
