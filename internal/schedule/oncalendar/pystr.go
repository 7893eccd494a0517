package oncalendar

import (
	"strings"
)

// Upstream runs on Python strings, so case folding must follow Python's
// rules rather than Go's (whitespace is pycompat's): the two disagree on a handful of code
// points, and the hidden corpus deliberately contains non-ASCII input.

// pyLowerASCII returns what Python's str.lower() gives, but only when that
// result is pure ASCII (the only case that can equal a shorthand name).
// Among non-ASCII characters only KELVIN SIGN lowers to ASCII.
func pyLowerASCII(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r < 0x80:
			b.WriteByte(byte(r))
		case r == 0x212a:
			b.WriteByte('k')
		default:
			return "", false
		}
	}
	return b.String(), true
}

// pyUpperASCII is the str.upper() counterpart: these are the only non-ASCII
// code points whose full uppercase mapping is ASCII (Python 3.11 tables).
func pyUpperASCII(s string) (string, bool) {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteByte(byte(r) - ('a' - 'A'))
		case r < 0x80:
			b.WriteByte(byte(r))
		default:
			up, ok := pyUpperExtra(r)
			if !ok {
				return "", false
			}
			b.WriteString(up)
		}
	}
	return b.String(), true
}

func pyUpperExtra(r rune) (string, bool) {
	switch r {
	case 0xdf:
		return "SS", true
	case 0x131:
		return "I", true
	case 0x17f:
		return "S", true
	case 0xfb00:
		return "FF", true
	case 0xfb01:
		return "FI", true
	case 0xfb02:
		return "FL", true
	case 0xfb03:
		return "FFI", true
	case 0xfb04:
		return "FFL", true
	case 0xfb05, 0xfb06:
		return "ST", true
	}
	return "", false
}
