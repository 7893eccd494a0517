package mattermost

import (
	"testing"

	"github.com/overdue/overdue/internal/notify/notifytest"
)

// Upstream disables no Mattermost channel: a 404 is retried like a 500.
func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return base + "/hooks/abc" },
		Method:      "POST", URI: "/hooks/abc",
		Forbidden:         []string{"*bold*", "[link]", "_it_"},
		ForbiddenAnywhere: []string{"<!channel>", "@everyone", "@here", "@all", "<@U123>"},
		Answers: []notifytest.Answer{
			{Name: "404", Reply: notifytest.Reply{Status: 404}, Err: "Received status code 404", Tries: 3},
		},
		Disable: map[string]string{"MATTERMOST_ENABLED": ""},
	}.Run(t)
}
