package model

import "testing"

func TestChannelEvents(t *testing.T) {
	cases := []struct {
		kind, value string
		up, down    bool
	}{
		{"email", "alice@example.org", true, true},
		{"email", `{"value": "alice@example.org", "up": true, "down": true}`, true, true},
		{"email", `{"value": "alice@example.org", "up": false, "down": true}`, false, true},
		{"email", `{"value": "alice@example.org", "up": true, "down": false}`, true, false},
		{"sms", `{"value": "+15555550100", "up": false, "down": true}`, false, true},
		{"signal", `{"value": "+15555550100", "up": true, "down": false}`, true, false},
		{"webhook", `{"method_down": "GET", "url_down": "https://x/down", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`, false, true},
		{"webhook", `{"url_down": "", "url_up": "https://x/up"}`, true, false},
		{"webhook", `not json`, false, false},
		{"shell", `{"cmd_down": "", "cmd_up": "echo up"}`, true, false},
		{"ntfy", `{"topic": "t", "url": "https://ntfy.sh", "priority": 5, "priority_up": 0}`, false, true},
		{"gotify", `{"priority": 0, "priority_up": 5}`, true, false},
		{"po", "key|0|-3", false, true},
		{"po", "key|-3|1", true, false},
		{"po", "key|-3", false, false},
		{"po", "key|1", true, true},
		{"call", `{"value": "+15555550100"}`, false, true},
		{"trello", `{}`, false, true},
		{"github", `{}`, false, true},
		{"slack", "https://hooks.slack.com/services/x", true, true},
		{"mattermost", "https://mm.example.org/hooks/x", true, true},
	}
	for _, c := range cases {
		up, down := ChannelEvents(c.kind, c.value)
		if up != c.up || down != c.down {
			t.Errorf("ChannelEvents(%q, %q) = up %v down %v, want up %v down %v", c.kind, c.value, up, down, c.up, c.down)
		}
	}
}
