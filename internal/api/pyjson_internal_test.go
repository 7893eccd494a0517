package api

import (
	"strings"
	"testing"
)

// The expected values were printed by CPython 3 (repr(json.loads(...))).
func TestPyReprNumber(t *testing.T) {
	for lit, want := range map[string]string{
		"1e16": "1e+16", "1e15": "1000000000000000.0", "0.0001": "0.0001", "1e-05": "1e-05", "1.5": "1.5",
		"1234567890123456789012345678901.0": "1.2345678901234568e+30", "123.0": "123.0", "-0.0": "-0.0",
		"5e-324": "5e-324", "1.7976931348623157e308": "1.7976931348623157e+308", "1e400": "inf", "-1e400": "-inf",
		"0.123456789012345678901234567890": "0.12345678901234568", "1E5": "100000.0", "2.5e-7": "2.5e-07",
		"-0": "0", "0": "0", "-12": "-12", "12345678901234567890123456789012": "12345678901234567890123456789012",
	} {
		if got := pyReprNumber(lit); got != want {
			t.Errorf("%s: %s, want %s", lit, got, want)
		}
	}
}

func TestPyRepr(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{"it's", `"it's"`},
		{`a"b'c`, `'a"b\'c'`},
		{"\x00\u00a0\u200b\U0001f600é\t\\", `'\x00\xa0\u200b` + "\U0001f600é" + `\t\\'`},
		{[]any{"a", nil, true, false}, "['a', None, True, False]"},
		{map[string]any{"b": []any{}, "a": map[string]any{}}, "{'a': {}, 'b': []}"},
	} {
		if got := pyRepr(tc.v); got != tc.want {
			t.Errorf("%#v: %s, want %s", tc.v, got, tc.want)
		}
	}
	if got := pyStr("plain"); got != "plain" {
		t.Errorf("str of a str: %q", got)
	}
}

func TestPyJSONConstants(t *testing.T) {
	for body, ok := range map[string]bool{
		"NaN": true, "[Infinity]": true, `{"a": -Infinity}`: true, "[NaN,NaN]": true, ` {"x": [1, NaN]} `: true,
		"[1NaN]": false, "NaN1": false, "-NaN": false, "- Infinity": false, "nan": false, "Infinityx": false,
	} {
		alt, _ := pyJSONConstants([]byte(body))
		if _, got := decodeJSON(alt); got != ok {
			t.Errorf("%s: parses %v, want %v (rewritten %q)", body, got, ok, alt)
		}
	}
	// Inside strings nothing changes, escaped quotes included.
	body := `{"a": "NaN \" Infinity", "b": NaN}`
	alt, found := pyJSONConstants([]byte(body))
	if !found || string(alt) != `{"a": "NaN \" Infinity", "b":  0.0 }` {
		t.Errorf("%q %v", alt, found)
	}
	if _, found := pyJSONConstants([]byte(`{"a": "NaN"}`)); found {
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
		doc, ok := decodeJSON([]byte(body))
		if !ok {
			t.Fatalf("does not parse: %.30s", body)
		}
		if got := hasHugeInt(doc); got != want {
			t.Errorf("%.30s…: %v, want %v", body, got, want)
		}
	}
}
