package cron

import "testing"

// Riga: 2026-03-29 03:00 EET jumps to 04:00 EEST (01:00Z); 2026-10-25 04:00
// EEST falls back to 03:00 EET (01:00Z), so 03:00-03:59 happens twice.
func TestNextDST(t *testing.T) {
	tests := []struct {
		name, expr, zone, after string
		want                    []string
	}{
		{"fixed time in the spring gap fires at the gap's end",
			"30 3 * * *", "Europe/Riga", "2026-03-29T00:00:00Z",
			[]string{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"}},
		{"fixed time in a repeated hour fires once, on the first pass",
			"30 3 * * *", "Europe/Riga", "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"}},
		{"after in the second pass searches from the first pass",
			"30 3 * * *", "Europe/Riga", "2026-10-25T01:15:00Z",
			[]string{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"star minute follows elapsed time through both passes",
			"*/15 * * * *", "Europe/Riga", "2026-10-24T23:50:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-10-25T00:15:00Z", "2026-10-25T00:30:00Z", "2026-10-25T00:45:00Z",
				"2026-10-25T01:00:00Z", "2026-10-25T01:15:00Z", "2026-10-25T01:30:00Z", "2026-10-25T01:45:00Z"}},
		{"star minute skips nothing across the spring gap",
			"*/15 * * * *", "Europe/Riga", "2026-03-29T00:40:00Z",
			[]string{"2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"}},
		{"elapsed-time search steps over Lord Howe's 02:30 after a 30-minute jump",
			"30 * * * *", "Australia/Lord_Howe", "2026-10-03T13:00:00Z",
			[]string{"2026-10-03T14:00:00Z", "2026-10-03T15:00:00Z", "2026-10-03T16:30:00Z", "2026-10-03T17:30:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := chain(t, tt.expr, tt.zone, tt.after, len(tt.want))
			if !equalStrings(got, tt.want) {
				t.Errorf("%q in %s after %s:\n got  %v\n want %v", tt.expr, tt.zone, tt.after, got, tt.want)
			}
		})
	}
}
