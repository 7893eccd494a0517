package pycompat

import (
	"errors"
	"strings"
	"unicode"
)

// ErrInt is what ParseInt returns for text that int() refuses (ValueError).
var ErrInt = errors.New("not an integer")

// MaxIntDigits is Python's default sys.int_info.default_max_str_digits:
// int() of, and json.loads of, a decimal integer with more digits is a
// ValueError.
const MaxIntDigits = 4300

// ParseInt is Python's int() of a str in base 10: surrounding whitespace
// and one sign are allowed, digits may be any Unicode decimal digits (Nd),
// with single underscores between them, and at most MaxIntDigits digits.
// Values beyond int64 are clamped to its bounds, which callers' range
// checks then reject.
//
// The whitespace int() skips is not str.strip()'s: CPython first maps
// non-ASCII whitespace to a space, then skips only C's ASCII whitespace, so
// the separators U+001C to U+001F make int() fail although isspace() is
// true for them.
func ParseInt(s string) (int64, error) {
	s = strings.TrimFunc(s, intSpace)
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var (
		n        uint64
		digits   int
		overflow bool
		prevUnd  = true // no leading underscore
	)
	for _, r := range s {
		if r == '_' {
			if prevUnd {
				return 0, ErrInt
			}
			prevUnd = true
			continue
		}
		d, ok := digit(r)
		if !ok {
			return 0, ErrInt
		}
		prevUnd = false
		digits++
		switch {
		case overflow:
		case n > (1<<63)/10 || n*10+uint64(d) > 1<<63:
			overflow = true
		default:
			n = n*10 + uint64(d)
		}
	}
	if digits == 0 || prevUnd || digits > MaxIntDigits {
		return 0, ErrInt
	}
	switch {
	case neg && (overflow || n == 1<<63):
		return -1 << 63, nil
	case neg:
		return -int64(n), nil
	case overflow || n == 1<<63:
		return 1<<63 - 1, nil
	}
	return int64(n), nil
}

// intSpace is the whitespace int() skips around the number.
func intSpace(r rune) bool {
	if r < 0x80 {
		return r == ' ' || (r >= '\t' && r <= '\r')
	}
	return IsSpace(r)
}

// digit is the value of a Unicode decimal digit (category Nd, which
// Unicode keeps in runs of ten from 0 to 9).
func digit(r rune) (int, bool) {
	if r >= '0' && r <= '9' {
		return int(r - '0'), true
	}
	if r < 0x80 || !unicode.Is(unicode.Nd, r) {
		return 0, false
	}
	zero := r
	for unicode.Is(unicode.Nd, zero-1) {
		zero--
	}
	return int(r-zero) % 10, true
}
