package msteamsw

import (
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value: func(base string) string {
			return base + "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x"
		},
		Method: "POST", URI: "/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=x",
		Disable: map[string]string{"MSTEAMS_ENABLED": ""},
	}.Run(t)
}

// The heading and the facts are Markdown in Teams: emphasis and links in
// user text are escaped there (the plain fallback text is HTML-escaped, as
// upstream, and the body's CodeBlock is verbatim).
func TestHostileMarkdown(t *testing.T) {
	m := notifytest.Cases()[5].Msg
	card := Render(m)["attachments"].([]any)[0].(map[string]any)["content"].(map[string]any)
	blocks := card["body"].([]any)
	texts := []string{blocks[0].(map[string]any)["text"].(string)}
	for _, f := range blocks[1].(map[string]any)["facts"].([]Fact) {
		texts = append(texts, f.Value)
	}
	for _, s := range texts {
		for _, bad := range []string{" *bold*", " _it_", " [link]", " `code`"} {
			if strings.Contains(s, bad) {
				t.Errorf("%q in %q", bad, s)
			}
		}
	}
	if fb := card["fallbackText"].(string); strings.Contains(fb, "<b>") {
		t.Errorf("fallback %q", fb)
	}
}
