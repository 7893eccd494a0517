package email

import (
	"strings"
	"time"
	"unicode/utf8"
)

// The filters upstream's email templates use (Django's escape, linebreaksbr,
// wordwrap, date:"r", humanize's naturaltime, and Healthchecks' own duration
// formats), so alert emails read as upstream's do.

// escapeHTML is Django's escape: & < > " ' as &amp; &lt; &gt; &quot; &#x27;.
var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

func escapeHTML(s string) string { return htmlEscaper.Replace(s) }

// linebreaksBR is Django's linebreaksbr on escaped text: newlines (of any
// convention) become <br>.
func linebreaksBR(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(escapeHTML(s), "\n", "<br>")
}

// wordwrap is Django's wordwrap filter (django.utils.text.wrap): lines
// longer than width characters are broken at the last space that fits, or
// at the first space after it when a word is longer than width; existing
// line breaks stay.
func wordwrap(text string, width int) string {
	var b strings.Builder
	for _, line := range splitLinesKeepEnds(text) {
		for utf8.RuneCountInString(line) > width {
			r := []rune(line)
			space := strings.LastIndex(string(r[:width+1]), " ")
			if space < 0 {
				space = strings.Index(line, " ")
				if space < 0 {
					break
				}
			}
			b.WriteString(line[:space])
			b.WriteByte('\n')
			line = line[space+1:]
		}
		b.WriteString(line)
	}
	return b.String()
}

// splitLinesKeepEnds splits after every \n, \r\n or \r, keeping them.
func splitLinesKeepEnds(s string) []string {
	var out []string
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		end := i + 1
		if s[i] == '\r' && end < len(s) && s[end] == '\n' {
			end++
		}
		out = append(out, s[:end])
		s = s[end:]
	}
	return out
}

// dateR is Django's date:"r" (RFC 5322): "Wed, 01 Jan 2020 01:00:00 +0000".
func dateR(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }
