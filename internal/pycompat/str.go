package pycompat

import (
	"strings"
	"unicode/utf8"
)

// IsSpace is Python's str.isspace() for one character, which str.strip()
// and str.split() (without arguments) use. It is unicode.IsSpace plus the
// four ASCII information separators U+001C to U+001F, which Python counts
// (their bidirectional class is B or S) and Go does not.
func IsSpace(r rune) bool {
	switch {
	case r == ' ' || (r >= '\t' && r <= '\r') || (r >= 0x1c && r <= 0x1f):
		return true
	case r < 0x80:
		return false
	}
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// Strip is Python's str.strip() with no arguments.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// RStrip is Python's str.rstrip() with no arguments.
func RStrip(s string) string { return strings.TrimRightFunc(s, IsSpace) }

// Fields is Python's str.split() with no arguments: runs of whitespace
// separate fields, and there are no empty fields.
func Fields(s string) []string { return strings.FieldsFunc(s, IsSpace) }

// CountFields is len(Fields(s)) without allocating, for callers that bound
// the number of fields before splitting.
func CountFields(s string) int {
	n, in := 0, false
	for _, r := range s {
		sp := IsSpace(r)
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// RSplit1 is Python's s.rsplit(maxsplit=1) for a string that is already
// stripped: the head keeps its inner whitespace but loses the run that
// separates it from the last field. ok is false unless there are two
// non-empty parts.
func RSplit1(s string) (head, last string, ok bool) {
	i := strings.LastIndexFunc(s, IsSpace)
	if i < 0 {
		return "", "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	last = s[i+size:]
	head = RStrip(s[:i])
	if head == "" || last == "" {
		return "", "", false
	}
	return head, last, true
}
