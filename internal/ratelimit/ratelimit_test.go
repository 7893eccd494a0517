package ratelimit

import (
	"testing"
	"time"
)

func TestLimiterBurstRefillAndKeys(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := Every(3, time.Hour, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 20*time.Minute {
		t.Fatalf("4th request: ok=%v wait=%v, want refused for 20m", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key shares the bucket")
	}
	now = now.Add(20 * time.Minute)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("no token after a refill period")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("one refill gave two tokens")
	}
}
