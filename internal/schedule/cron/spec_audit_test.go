package cron

import "testing"

// TestSpecAuditUnsupportedSyntax pins reference §2.6: cronsim has no "H"
// (hashed values), no "W" (nearest weekday) and no "?", in any field, and
// "L" is a day-of-month value on its own or "LW", never a day-of-week
// name suffix.
func TestSpecAuditUnsupportedSyntax(t *testing.T) {
	for _, expr := range []string{
		"H * * * *", "0 H * * *", "0 0 H * *", "0 0 * H *", "0 0 * * H", "H/5 * * * *", "0 0 H(1-7) * *",
		"0 0 W * *", "0 0 1W * *", "0 0 LW-1 * *", "0 0 * * 1W",
		"? * * * *", "0 0 * * ?", "0 ? * * *",
		"0 0 * * L", "0 0 * * MONL", "0 0 5L * *",
	} {
		if e, err := Parse(expr); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", expr, e)
		}
	}
	// What is supported: L and LW alone in day-of-month, nL and x#n in
	// day-of-week, names as range ends.
	for _, expr := range []string{"0 0 L * *", "0 0 LW * *", "0 0 * * 5L", "0 0 * * MON#5", "0 0 * * MON-FRI", "0 0 * JAN-MAR *"} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
}
