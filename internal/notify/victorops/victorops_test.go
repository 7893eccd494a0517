package victorops

import (
	"encoding/json"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const path = "/integrations/generic/20131114/alert/0d4c0b9e/ops"

func TestSuite(t *testing.T) {
	notifytest.Suite{
		Integration: Integration(),
		Value:       func(base string) string { return base + path },
		Method:      "POST", URI: path,
		Header: map[string]string{"User-Agent": "healthchecks.io"},
		Answers: []notifytest.Answer{
			// The routing key or endpoint is gone: upstream disables the channel.
			{Name: "404", Reply: notifytest.Reply{Status: 404}, Err: "Received status code 404", Permanent: true, Tries: 1},
			{Name: "403", Reply: notifytest.Reply{Status: 403, Body: `{"result":"failure"}`}, Err: "Received status code 403", Tries: 3},
		},
		Disable: map[string]string{"VICTOROPS_ENABLED": "False"},
	}.Run(t)
}

// The fields Splunk On-Call pairs and shows: a RECOVERY resolves the
// CRITICAL of the same entity_id.
func TestFields(t *testing.T) {
	for status, mtype := range map[string]string{model.StatusDown: "CRITICAL", model.StatusUp: "RECOVERY"} {
		m := notifytest.Message(status)
		var p map[string]string
		b, _ := json.Marshal(Render(m))
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"entity_id": m.Check.UniqueKey(), "message_type": mtype,
			"entity_display_name": "Daily Backup", "monitoring_tool": "Overdue"}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%s: %s = %q, want %q", status, k, p[k], v)
			}
		}
		if len(p) != 5 {
			t.Errorf("%s: fields %v", status, p)
		}
	}
}
