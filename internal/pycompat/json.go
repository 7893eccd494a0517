package pycompat

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// JSONString is Python's json.dumps of a str with its default
// ensure_ascii=True, quotes included.
func JSONString(s string) string {
	return string(AppendJSONString(make([]byte, 0, len(s)+2), s))
}

// AppendJSONString appends s as json.dumps(ensure_ascii=True) writes it:
// printable ASCII as is (no HTML escaping), the short escapes \" \\ \n \r
// \t \b \f, and every other character, U+007F (DEL) included, as \uXXXX,
// with surrogate pairs above the BMP. Invalid UTF-8 becomes U+FFFD per bad
// byte, since a Python str never holds such bytes.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	b = AppendJSONStringBody(b, s)
	return append(b, '"')
}

// AppendJSONStringBody is AppendJSONString without the quotes, for callers
// that build one string from several parts.
func AppendJSONStringBody(b []byte, s string) []byte {
	// Copy runs of plain printable ASCII at once: almost every string is
	// one such run, and this loop is most of the cost of a large API list.
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f && c != '"' && c != '\\' {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		r, size := rune(c), 1
		if c >= 0x80 {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		i += size
		start = i
		switch {
		case r == '"':
			b = append(b, `\"`...)
		case r == '\\':
			b = append(b, `\\`...)
		case r == '\n':
			b = append(b, `\n`...)
		case r == '\r':
			b = append(b, `\r`...)
		case r == '\t':
			b = append(b, `\t`...)
		case r == '\b':
			b = append(b, `\b`...)
		case r == '\f':
			b = append(b, `\f`...)
		case r > 0xffff:
			r -= 0x10000
			b = appendU4(b, 0xd800+(r>>10))
			b = appendU4(b, 0xdc00+(r&0x3ff))
		default:
			// utf8.RuneError (U+FFFD) also stands for invalid bytes.
			b = appendU4(b, r)
		}
	}
	return append(b, s[start:]...)
}

func appendU4(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// FloatRepr is Python's repr() of a float, which json.dumps also writes
// for finite floats: the shortest round-tripping digits, positional for
// decimal exponents -4 to 15 and always with a fractional part there,
// otherwise scientific with at least two exponent digits ("1e+16").
func FloatRepr(f float64) string {
	return string(AppendFloatRepr(nil, f))
}

// AppendFloatRepr appends FloatRepr(f).
func AppendFloatRepr(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "nan"...)
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	// The notation follows the decimal exponent of the shortest digits,
	// not the magnitude of f: a float just below 1e-4 whose shortest form
	// is "0.0001" is positional.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	exp := 0
	if i := strings.LastIndexByte(e, 'e'); i >= 0 {
		exp, _ = strconv.Atoi(e[i+1:])
	}
	if exp < -4 || exp >= 16 {
		// Go writes the exponent as Python does: a sign and at least two
		// digits ("1e+16", "2.5e-07").
		return append(b, e...)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	if !strings.Contains(string(b[start:]), ".") {
		b = append(b, ".0"...)
	}
	return b
}
