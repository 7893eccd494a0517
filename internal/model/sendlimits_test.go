package model

import (
	"testing"
	"time"
)

func TestSendQuotaAuthorize(t *testing.T) {
	at := func(s string) *time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return &v
	}
	now := *at("2026-03-31T23:59:59.9999999Z")
	for _, tc := range []struct {
		name    string
		q       SendQuota
		now     time.Time
		allowed bool
		sent    int
	}{
		{"never sent", SendQuota{Limit: 5}, now, true, 1},
		{"below the limit this month", SendQuota{Limit: 5, Sent: 4, Last: at("2026-03-01T00:00:00Z")}, now, true, 5},
		{"at the limit this month", SendQuota{Limit: 5, Sent: 5, Last: at("2026-03-01T00:00:00Z")}, now, false, 5},
		{"over the limit (lowered since)", SendQuota{Limit: 2, Sent: 7, Last: at("2026-03-15T12:00:00Z")}, now, false, 7},
		{"last month's count does not count", SendQuota{Limit: 5, Sent: 5, Last: at("2026-02-28T23:59:59.999999Z")}, now, true, 1},
		{"a year ago, same month", SendQuota{Limit: 5, Sent: 5, Last: at("2025-03-20T00:00:00Z")}, now, true, 1},
		// Months are UTC's: 01:00 on the 1st at +02:00 is still February.
		{"month of UTC, not of the zone", SendQuota{Limit: 1, Sent: 1, Last: at("2026-03-01T01:00:00+02:00")}, *at("2026-02-28T23:30:00Z"), false, 1},
		{"the new month begins at 00:00 UTC", SendQuota{Limit: 1, Sent: 1, Last: at("2026-02-28T23:59:59Z")}, *at("2026-03-01T00:00:00Z"), true, 1},
		// A clock that stepped back keeps the later month's count.
		{"last send in a later month", SendQuota{Limit: 3, Sent: 3, Last: at("2026-04-02T00:00:00Z")}, now, false, 3},
		{"zero limit refuses", SendQuota{Limit: 0}, now, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.q.Authorize(tc.now)
			if ok != tc.allowed || got.Sent != tc.sent || got.Limit != tc.q.Limit {
				t.Fatalf("Authorize = %+v, %v; want sent %d, %v", got, ok, tc.sent, tc.allowed)
			}
			switch {
			case ok && (got.Last == nil || !got.Last.Equal(tc.now.Truncate(time.Microsecond)) || got.Last.Location() != time.UTC):
				t.Errorf("an allowed send sets Last to now in UTC (µs): %v", got.Last)
			case !ok && got.Last != tc.q.Last:
				t.Errorf("a refusal changed Last: %v", got.Last)
			}
		})
	}
}
