package pycompat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NaturalNameKey is the key upstream sorts checks by name with (the
// dashboard's name order, reports, reminders): the name lowered with
// Python's str.lower(), stripped with str.strip(), and every run of
// decimal digits (Python's \d: any Unicode Nd, scripts mixed) replaced by
// its value zero-padded to at least eight digits, so "job 9" < "job 10".
// Keys compare as Python compares str, by code point, which is Go's byte
// order of UTF-8. The quirks are upstream's too: "007" and "7" get the
// same key, and a number of nine or more digits sorts by its first digit
// against shorter ones ("123456789" < "99999999").
func NaturalNameKey(name string) string {
	s := Strip(Lower(name))
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if _, ok := digit(r); !ok {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		// int() of the run drops leading zeros; f"{n:08}" pads back to 8.
		var run []byte
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			d, ok := digit(r)
			if !ok {
				break
			}
			if d != 0 || len(run) > 0 {
				run = append(run, byte('0'+d))
			}
			i += n
		}
		for k := len(run); k < 8; k++ {
			b.WriteByte('0')
		}
		b.Write(run)
	}
	return b.String()
}

// Lower is Python's str.lower(): Unicode's simple lowercase mapping plus
// the two rules Python adds from SpecialCasing.txt, U+0130 (İ) becoming
// "i̇" and a capital sigma at the end of a word becoming ς.
func Lower(s string) string {
	if !strings.ContainsAny(s, "\u0130\u03a3") {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i, r := range s {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma is Unicode's Final_Sigma condition for the Σ at byte i, as
// CPython tests it: a cased letter before it and none after it, skipping
// case-ignorable characters both ways.
func finalSigma(s string, i int) bool {
	before := s[:i]
	for before != "" {
		r, n := utf8.DecodeLastRuneInString(before)
		if !caseIgnorable(r) {
			if !cased(r) {
				return false
			}
			break
		}
		before = before[:len(before)-n]
	}
	if before == "" {
		return false
	}
	for _, r := range s[i+len("Σ"):] {
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

func cased(r rune) bool {
	return unicode.In(r, unicode.Lower, unicode.Upper, unicode.Lt, unicode.Other_Lowercase, unicode.Other_Uppercase)
}

// caseIgnorable is Unicode's Case_Ignorable: the categories Mn, Me, Cf,
// Lm and Sk, and the word-break classes MidLetter, MidNumLet and
// Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027, 0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
