package ping

import (
	"testing"

	"github.com/overdue/overdue/internal/model"
)

// TestClassifyEmail is upstream's smtpd keyword rule (hc/api/management/
// commands/smtpd.py): filters on the subject and/or the decoded text,
// failure before success before start, then the default-fail option.
func TestClassifyEmail(t *testing.T) {
	type filters struct {
		subject, body, defaultFail bool
		fail, success, start       string
	}
	mail := func(subject, text string) Event {
		return Event{Action: ActionSuccess, Email: true, Subject: subject, Text: []byte(text), Body: []byte("stored " + subject + text)}
	}
	tests := []struct {
		name string
		f    filters
		ev   Event
		want string
	}{
		{"no filter is success", filters{fail: "FAIL"}, mail("FAIL", "FAIL"), model.PingSuccess},
		{"no filter ignores default fail", filters{defaultFail: true}, mail("x", "y"), model.PingSuccess},
		{"subject failure", filters{subject: true, fail: "FAIL", success: "OK"}, mail("job FAIL", ""), model.PingFail},
		{"subject success", filters{subject: true, fail: "FAIL", success: "OK"}, mail("job OK", ""), model.PingSuccess},
		{"subject start", filters{subject: true, start: "Started"}, mail("Started job", ""), model.PingStart},
		{"failure beats success", filters{subject: true, fail: "FAIL", success: "OK"}, mail("OK then FAIL", ""), model.PingFail},
		{"success beats start", filters{subject: true, success: "OK", start: "begin"}, mail("begin OK", ""), model.PingSuccess},
		{"no match is ignored", filters{subject: true, fail: "FAIL", success: "OK"}, mail("meh", ""), model.PingIgnored},
		{"no match with default fail", filters{subject: true, defaultFail: true, success: "OK"}, mail("meh", ""), model.PingFail},
		{"no keywords at all is ignored", filters{body: true}, mail("a", "b"), model.PingIgnored},
		{"subject filter does not read the text", filters{subject: true, fail: "FAIL"}, mail("fine", "FAIL"), model.PingIgnored},
		{"body filter does not read the subject", filters{body: true, fail: "FAIL"}, mail("FAIL", "fine"), model.PingIgnored},
		{"body filter reads the text", filters{body: true, fail: "FAIL"}, mail("fine", "it did FAIL"), model.PingFail},
		{"body filter does not read the stored body", filters{body: true, success: "stored"}, mail("", ""), model.PingIgnored},
		{"both filters", filters{subject: true, body: true, fail: "FAIL", success: "OK"}, mail("x", "OK"), model.PingSuccess},
		// Upstream matches "subject\ntext" as one string.
		{"both filters: keyword across the join", filters{subject: true, body: true, success: "a\nb"}, mail("a", "b"), model.PingSuccess},
		{"keywords trimmed and comma separated", filters{subject: true, success: " x , done "}, mail("all done", ""), model.PingSuccess},
		{"case-sensitive", filters{subject: true, success: "OK"}, mail("ok", ""), model.PingIgnored},
		{"unicode keyword", filters{body: true, fail: "napaka"}, mail("", "– napaka –"), model.PingFail},
		{"exit status has no say", filters{}, Event{Action: ActionSuccess, Email: true}, model.PingSuccess},
		{"HTTP body filter has no say", filters{}, Event{Action: ActionSuccess, Email: true, Body: []byte("FAIL")}, model.PingSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := baseCheck(model.StatusUp)
			c.FilterSubject, c.FilterBody, c.FilterDefaultFail = tt.f.subject, tt.f.body, tt.f.defaultFail
			c.FailureKw, c.SuccessKw, c.StartKw = tt.f.fail, tt.f.success, tt.f.start
			c.FilterHTTPBody = true // must not matter for email
			if tt.name == "HTTP body filter has no say" {
				c.FailureKw = "FAIL"
			}
			if got := Classify(&c, tt.ev); got != tt.want {
				t.Errorf("Classify = %q, want %q", got, tt.want)
			}
			_, p, _ := Apply(c, tt.ev, now, simpleAlertAfter)
			if p.Kind != tt.want {
				t.Errorf("Apply ping kind = %q, want %q", p.Kind, tt.want)
			}
		})
	}
	// manual_resume applies to email pings too (upstream's Check.ping).
	c := baseCheck(model.StatusPaused)
	c.ManualResume = true
	if _, p, _ := Apply(c, mail("", ""), now, simpleAlertAfter); p.Kind != model.PingIgnored {
		t.Errorf("paused+manual_resume email: kind %q, want ign", p.Kind)
	}
}
