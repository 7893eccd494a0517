package model

import (
	"encoding/json"
	"strconv"
	"strings"
)

// ChannelEvents reports whether a channel of kind, configured with value,
// wants "up" and "down" notifications. It follows upstream's per-kind rules:
// email, sms, whatsapp and signal keep explicit flags; webhook and shell
// skip an event whose URL or command is empty; ntfy and gotify skip a
// priority of 0, Pushover a priority of -3; call, trello and github only
// ever send "down"; every other kind sends both. The outbox only enqueues
// notifications for the events a channel wants.
func ChannelEvents(kind, value string) (up, down bool) {
	switch kind {
	case "email", "sms", "whatsapp", "signal":
		var v struct {
			Up   *bool `json:"up"`
			Down *bool `json:"down"`
		}
		if !strings.HasPrefix(strings.TrimSpace(value), "{") || json.Unmarshal([]byte(value), &v) != nil {
			// A legacy bare address or number: both events.
			return true, true
		}
		return v.Up == nil || *v.Up, v.Down == nil || *v.Down
	case "webhook":
		var v struct {
			URLDown string `json:"url_down"`
			URLUp   string `json:"url_up"`
		}
		if json.Unmarshal([]byte(value), &v) != nil {
			return false, false
		}
		return v.URLUp != "", v.URLDown != ""
	case "shell":
		var v struct {
			CmdDown string `json:"cmd_down"`
			CmdUp   string `json:"cmd_up"`
		}
		if json.Unmarshal([]byte(value), &v) != nil {
			return false, false
		}
		return v.CmdUp != "", v.CmdDown != ""
	case "ntfy", "gotify":
		var v struct {
			Priority   *int `json:"priority"`
			PriorityUp *int `json:"priority_up"`
		}
		if json.Unmarshal([]byte(value), &v) != nil {
			return true, true
		}
		return v.PriorityUp == nil || *v.PriorityUp != 0, v.Priority == nil || *v.Priority != 0
	case "po":
		// "<user key>|<prio>|<prio_up>", or the legacy "<user key>|<prio>".
		parts := strings.Split(value, "|")
		prio := func(i int) int {
			if i >= len(parts) {
				return 0
			}
			n, err := strconv.Atoi(parts[i])
			if err != nil {
				return 0
			}
			return n
		}
		down = prio(1) != -3
		if len(parts) >= 3 {
			up = prio(2) != -3
		} else {
			up = down
		}
		return up, down
	case "call", "trello", "github":
		return false, true
	default:
		return true, true
	}
}
