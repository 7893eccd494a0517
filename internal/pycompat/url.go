package pycompat

import "strings"

// Quote is Python's urllib.parse.quote(s, safe): the UTF-8 bytes of s are
// percent-encoded in upper case except ASCII letters, digits, "_.-~" and
// the ASCII characters in safe. Python's default safe is "/".
func Quote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_.-~", c) >= 0 ||
			(c < 0x80 && strings.IndexByte(safe, c) >= 0) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// Unquote is Python's urllib.parse.unquote with its default
// errors="replace": valid %XX escapes become bytes, any other "%" stays as
// it is, and the result is read as UTF-8 as DecodeUTF8 reads it.
func Unquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return DecodeUTF8(b)
}

// UnquotePlus is Python's urllib.parse.unquote_plus: Unquote after "+"
// becomes a space.
func UnquotePlus(s string) string {
	return Unquote(strings.ReplaceAll(s, "+", " "))
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}
