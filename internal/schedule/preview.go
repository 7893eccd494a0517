package schedule

import (
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// MaxPreview is the largest number of fire times Preview computes at once.
const MaxPreview = 1000

// Preview returns up to n fire times of expr in zone tz, each the next one
// after the previous (the first after after), in UTC: the times a check would
// be expected if every ping arrived on time. An empty kind means GuessKind.
// Fewer than n times come back when the schedule runs out.
func Preview(kind, expr, tz string, after time.Time, n int) ([]time.Time, error) {
	if n < 1 || n > MaxPreview {
		return nil, fmt.Errorf("preview count %d is out of range 1-%d", n, MaxPreview)
	}
	if kind == "" {
		kind = GuessKind(expr)
	}
	if kind == model.KindSimple {
		return nil, fmt.Errorf("a simple check has no schedule to preview")
	}
	sch, err := Parse(kind, expr, tz)
	if err != nil {
		return nil, err
	}
	times := make([]time.Time, 0, n)
	t := after
	for range n {
		next, ok := sch.Next(t)
		if !ok {
			break
		}
		times = append(times, next)
		t = next
	}
	return times, nil
}
