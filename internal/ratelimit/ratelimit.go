// Package ratelimit holds the token buckets that slow down guessing and
// floods: API requests per key, log-ins and sign-ups per address and email.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter is a token bucket per key, in memory: each key may burst up to
// `burst` requests and then gets `rate` per second. It is per process, so N
// instances allow N times the rate.
type Limiter struct {
	mu      sync.Mutex
	rate    float64 // tokens per second
	burst   float64
	now     func() time.Time
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery bounds memory: every so many calls, buckets that have refilled
// completely (idle keys) are dropped; a fresh bucket is full anyway.
const sweepEvery = 4096

// PerMinute allows each key a burst of n and then n per minute.
func PerMinute(n int, now func() time.Time) *Limiter {
	return Every(n, time.Minute, now)
}

// Every allows each key a burst of n and then n per period (upstream's
// login buckets: 20 per hour per address, for example).
func Every(n int, period time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: float64(n) / period.Seconds(), burst: float64(n), now: now, buckets: map[string]*bucket{}}
}

// Allow takes a token for key; when there is none it reports how long until
// the next one.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%sweepEvery == 0 {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if elapsed := now.Sub(b.last).Seconds(); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+elapsed*l.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (l *Limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}
