package alerts

import (
	"sort"
	"sync"
	"time"
)

// Clock is the time source of the engine and the dispatcher. Production uses
// RealClock; tests use a FakeClock and move time by hand, so no test waits
// on the wall clock.
type Clock interface {
	Now() time.Time
	// After fires once d has passed on this clock.
	After(d time.Duration) <-chan time.Time
	// Until fires once the clock reaches t. Sleepers compute their wake-up
	// as an instant, so a clock that moves between reading the time and
	// starting the timer cannot make them oversleep.
	Until(t time.Time) <-chan time.Time
}

// RealClock is the system clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// After is time.After.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Until is time.After(time.Until(t)).
func (RealClock) Until(t time.Time) <-chan time.Time { return time.After(time.Until(t)) }

// FakeClock is a Clock that only moves when Advance or Set is called.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	// waiting is signalled whenever a new After is registered, so tests can
	// wait until the code under test is asleep before moving time.
	waiting chan struct{}
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a FakeClock set to now.
func NewFakeClock(now time.Time) *FakeClock {
	return &FakeClock{now: now, waiting: make(chan struct{}, 1024)}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives once the clock reaches now+d.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.untilLocked(c.now.Add(d))
}

// Until returns a channel that receives once the clock reaches t.
func (c *FakeClock) Until(t time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.untilLocked(t)
}

func (c *FakeClock) untilLocked(at time.Time) <-chan time.Time {
	ch := make(chan time.Time, 1)
	if !at.After(c.now) {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, fakeWaiter{at, ch})
	select {
	case c.waiting <- struct{}{}:
	default:
	}
	return ch
}

// Advance moves the clock forward by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.fireLocked()
	c.mu.Unlock()
}

// Set moves the clock to t (never backwards) and fires the timers that are due.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.fireLocked()
	c.mu.Unlock()
}

func (c *FakeClock) fireLocked() {
	sort.Slice(c.waiters, func(i, j int) bool { return c.waiters[i].at.Before(c.waiters[j].at) })
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
			continue
		}
		keep = append(keep, w)
	}
	c.waiters = keep
}

// Sleepers returns a channel that receives each time a goroutine starts
// waiting on the clock.
func (c *FakeClock) Sleepers() <-chan struct{} { return c.waiting }
