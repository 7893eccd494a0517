package twilio

import (
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

func TestMaskPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+15555550100": "+155******100",
		"+1234567":     "+123******567",
		"+123456":      "+123456", // short numbers are shown whole, as upstream
		"":             "",
	} {
		if got := MaskPhone(in); got != want {
			t.Errorf("MaskPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLimitNotice(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = `{"value":"+15555550100"}`
	g := model.SendGrant{Limit: 50, OwnerEmail: "owner@example.org", Team: []string{"owner@example.org", "m@example.org"}}
	n := LimitNotice(CallRefusal, g, "Overdue", m, "line one\nline two")
	want := "Hello,\n\nA phone call notification to +155******100 was not sent: the Overdue account owner@example.org has used its monthly limit of 50 calls.\n" +
		"The count starts again on the first day of next month (UTC).\n\nThe undelivered message:\n\n    line one\n    line two\n\n-- \nOverdue\n"
	if n.Subject != "Monthly Phone Call Limit Reached" || n.Text != want || len(n.To) != 2 {
		t.Errorf("notice to %v, %q:\n%s", n.To, n.Subject, n.Text)
	}
	// A value that cannot be read names no number rather than a wrong one.
	m.Channel.Value = "junk"
	if n := LimitNotice(SMSRefusal, g, "Overdue", m, "x"); n.Subject != "Monthly SMS Limit Reached" || !strings.Contains(n.Text, "notification to its number was not sent") {
		t.Errorf("%q %q", n.Subject, n.Text)
	}
}
