package rocketchat

import (
	"testing"

	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return base + "/hooks/a/b" },
		Method:      "POST", URI: "/hooks/a/b",
		Header:            map[string]string{"User-Agent": "healthchecks.io"},
		Forbidden:         []string{" *bold*", "[link]", "<b>"},
		ForbiddenAnywhere: []string{"@everyone", "@here", "@all", "<@U123>", "<!channel>"},
		Disable:           map[string]string{"ROCKETCHAT_ENABLED": "False"},
	}.Run(t)
}
