package pycompat

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The helpers below reproduce what a client can observe of Python's
// json.loads and of str()/repr() of what it returns: which bodies parse,
// and the text (above all the length) of str(value). Decoded values are
// those of encoding/json with UseNumber: nil, bool, string, json.Number,
// []any and map[string]any.

// JSONConstants rewrites the NaN, Infinity and -Infinity tokens that
// Python's json.loads accepts (and encoding/json does not) into numbers
// that decode to the same kind of value: a float, whose str() has the same
// length ("nan" becomes 0.0, the infinities overflow to ±Inf). Tokens inside
// strings are left alone; each replacement is padded with spaces so that a
// token glued to something else ("1NaN", "NaN1") still fails to parse, as
// it does in Python. found is false when there was nothing to rewrite.
func JSONConstants(body []byte) (out []byte, found bool) {
	inString, escaped := false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			out = append(out, c)
			continue
		}
		if c == '"' {
			inString = true
			out = append(out, c)
			continue
		}
		var repl string
		var n int
		switch rest := body[i:]; {
		case bytes.HasPrefix(rest, []byte("NaN")):
			repl, n = " 0.0 ", 3
		case bytes.HasPrefix(rest, []byte("Infinity")):
			repl, n = " 1e999 ", 8
		case bytes.HasPrefix(rest, []byte("-Infinity")):
			repl, n = " -1e999 ", 9
		}
		if n == 0 {
			out = append(out, c)
			continue
		}
		out, found = append(out, repl...), true
		i += n - 1
	}
	return out, found
}

// HasHugeInt reports whether a decoded document holds an integer literal
// of more than MaxIntDigits digits, which json.loads refuses.
func HasHugeInt(v any) bool {
	switch v := v.(type) {
	case json.Number:
		s := strings.TrimPrefix(string(v), "-")
		return len(s) > MaxIntDigits && !strings.ContainsAny(s, ".eE")
	case []any:
		for _, x := range v {
			if HasHugeInt(x) {
				return true
			}
		}
	case map[string]any:
		for _, x := range v {
			if HasHugeInt(x) {
				return true
			}
		}
	}
	return false
}

// Str is Python's str() of a decoded JSON value.
func Str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return Repr(v)
}

// Repr is Python's repr() of a decoded JSON value. Dict keys come out
// sorted rather than in document order (a Go map has none), so only the
// length of a dict's repr is exact.
func Repr(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case string:
		return StrRepr(v)
	case json.Number:
		return NumberRepr(string(v))
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = Repr(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = StrRepr(k) + ": " + Repr(v[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// NumberRepr is repr() of what json.loads makes of a JSON number literal:
// an int without ".", "e" or "E", otherwise a float.
func NumberRepr(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		if strings.TrimLeft(s, "-0") == "" {
			return "0" // "-0" is the int 0
		}
		return s
	}
	f, _ := strconv.ParseFloat(s, 64) // ±Inf on overflow, as float() gives
	return FloatRepr(f)
}

// StrRepr is Python's repr() of a str: single quotes unless the text has a
// single quote and no double quote, backslash escapes for the quote, the
// backslash, \t \n \r, and \x, \u or \U escapes for characters that are not
// printable.
func StrRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		quote = '"'
	}
	b := []byte{quote}
	for _, r := range s {
		switch {
		case r == rune(quote) || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == ' ' || unicode.IsPrint(r):
			b = utf8.AppendRune(b, r)
		case r < 0x100:
			b = append(b, `\x`...)
			b = append(b, hexDigits[r>>4], hexDigits[r&0xf])
		case r < 0x10000:
			b = appendU4(b, r)
		default:
			b = append(b, `\U`...)
			for shift := 28; shift >= 0; shift -= 4 {
				b = append(b, hexDigits[r>>uint(shift)&0xf])
			}
		}
	}
	return string(append(b, quote))
}
