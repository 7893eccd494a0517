package model

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSpecAuditNewCheckDefaults pins the defaults of upstream's Check model
// (reference §2.1): simple kind, a period of one day, one hour of grace, the
// schedule "* * * * *" in UTC, status "new", no filters, no state, and a
// fresh random (version 4) UUID for both the ping URL and the badge.
func TestSpecAuditNewCheckDefaults(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	a, b := NewCheck(7, now), NewCheck(7, now)
	for _, c := range []Check{a, b} {
		for what, code := range map[string]string{"code": c.Code, "badge_key": c.BadgeKey} {
			u, err := uuid.Parse(code)
			if err != nil || u.Version() != 4 || u.String() != code {
				t.Errorf("%s %q is not a canonical version-4 UUID (%v)", what, code, err)
			}
		}
		if c.ProjectID != 7 || !c.Created.Equal(now) || c.Created.Location() != time.UTC {
			t.Errorf("project %d created %v", c.ProjectID, c.Created)
		}
		want := Check{ID: c.ID, Code: c.Code, ProjectID: 7, Created: c.Created, BadgeKey: c.BadgeKey,
			Kind: KindSimple, Timeout: 24 * time.Hour, Grace: time.Hour, Schedule: "* * * * *", TZ: "UTC", Status: StatusNew}
		if c != want {
			t.Errorf("NewCheck =\n%+v\nwant\n%+v", c, want)
		}
	}
	if a.Code == b.Code || a.BadgeKey == b.BadgeKey || a.Code == a.BadgeKey {
		t.Errorf("UUIDs repeat: %s %s %s %s", a.Code, b.Code, a.BadgeKey, b.BadgeKey)
	}
}
