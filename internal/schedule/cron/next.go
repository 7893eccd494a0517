package cron

import (
	"math/bits"
	"time"
)

// Python's datetime cannot go outside years 1-9999; cronsim fails there, and
// so do we (which also keeps every int64 computation far from overflow).
const (
	minUnix = -62135596800 // 0001-01-01T00:00:00Z
	maxUnix = 253402300799 // 9999-12-31T23:59:59Z
)

// Next returns the first fire time strictly after `after` (sub-second part
// dropped, then +1s, as cronsim), evaluated in loc (nil = UTC), returned in
// UTC. ok=false when there is no match in cronsim's search window.
//
// The result can be earlier than after: when after lies in the second pass of
// a repeated wall-clock interval, a fixed-time job searches from the same wall
// time in the first pass, as upstream does.
func (e *Expr) Next(after time.Time, loc *time.Location) (t time.Time, ok bool) {
	if loc == nil {
		loc = time.UTC
	}
	u := after.Unix()
	if u < minUnix || u > maxUnix-secondsPerDay*366*(searchYears+1) {
		return time.Time{}, false
	}
	z := zoneCursor{loc: loc}
	var r int64
	if e.wallClock {
		r, ok = e.nextWallClock(&z, u)
	} else {
		r, ok = e.nextElapsed(&z, u)
	}
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(r, 0).UTC(), true
}

// nextWallClock is cronsim's path for fixed-time jobs: search naive local
// time, then move a result that falls into a gap forward minute by minute
// until it exists, and take the first pass of a repeated time.
func (e *Expr) nextWallClock(z *zoneCursor, u int64) (int64, bool) {
	w, _ := z.fromUTC(u)
	w++
	w, ok := e.nextWall(w, splitWall(w).y+searchYears)
	if !ok {
		return 0, false
	}
	// A gap is at most a few hours; the cap only bounds the work.
	for range 48 * 60 {
		r := z.toUTC(w, false)
		if back, _ := z.fromUTC(r); back == w {
			return r, true
		}
		w += 60
	}
	return 0, false
}

// elapsedState is cronsim's aware datetime: a wall time plus Python's fold.
type elapsedState struct {
	z    *zoneCursor
	w    int64
	fold bool
}

// tick moves by n real seconds, as cronsim's tick does for aware datetimes.
func (s *elapsedState) tick(n int64) {
	s.w, s.fold = s.z.fromUTC(s.z.toUTC(s.w, s.fold) + n)
}

// setWall replaces the wall time, keeping fold like datetime.replace does.
func (s *elapsedState) setWall(w int64) { s.w = w }

// nextElapsed is cronsim's path for jobs whose minute or hour starts with "*":
// the same odometer search, but every step that adds time adds real seconds,
// while steps that reset to midnight or to the top of the hour set the wall
// clock. Reproducing that mix, step for step, is what makes 30- and 45-minute
// DST shifts come out as upstream's.
func (e *Expr) nextElapsed(z *zoneCursor, u int64) (int64, bool) {
	s := elapsedState{z: z}
	s.w, s.fold = z.fromUTC(u)
	s.tick(1)
	limitYear := splitWall(s.w).y + searchYears

	// Each pass moves forward in time; the bound is far above what the
	// window needs and only guards against a logic error.
	for range 64 * 12 * (searchYears + 2) {
		f := splitWall(s.w)

		// Month.
		if e.months&(1<<f.mo) == 0 {
			y, m := f.y, f.mo
			if later := e.months >> (m + 1) << (m + 1); later != 0 {
				m = bits.TrailingZeros64(later)
			} else {
				m, y = bits.TrailingZeros64(e.months), y+1
			}
			s.w, s.fold = joinWall(y, m, 1, 0, 0), false
			f = splitWall(s.w)
		}
		if f.y > limitYear {
			return 0, false
		}

		// Day: the next matching day of this month, or the 1st of the next.
		if dm := e.dayMask(f.y, f.mo); dm&(1<<f.d) == 0 {
			if later := dm >> (f.d + 1) << (f.d + 1); later != 0 {
				s.w = joinWall(f.y, f.mo, bits.TrailingZeros64(later), 0, 0)
			} else {
				s.w = joinWall(f.y, f.mo, monthLen(f.y, f.mo), 0, 0) + secondsPerDay
			}
			s.fold = false
			continue
		}

		// Hour: back to the top of the hour, then whole real hours until an
		// allowed hour or midnight.
		if e.hours&(1<<f.h) == 0 {
			s.setWall(s.w - int64(f.mi*60+f.s))
			for range 72 {
				s.tick(3600)
				h := splitWall(s.w).h
				if e.hours&(1<<h) != 0 || h == 0 {
					break
				}
			}
			continue
		}

		// Minute: back to the start of the minute, jump to a lone allowed
		// minute, then whole real minutes until allowed or the top of the hour.
		if e.minutes&(1<<f.mi) == 0 {
			s.setWall(s.w - int64(f.s))
			if e.singleMinute >= 0 {
				s.tick(int64((e.singleMinute-f.mi+60)%60) * 60)
			}
			e.stepMinutes(&s)
			continue
		}

		// Second: only :00 is allowed in a 5-field expression.
		if f.s != 0 {
			s.tick(int64(60 - f.s))
			for range 60 {
				if splitWall(s.w).s == 0 {
					break
				}
				s.tick(1)
			}
			continue
		}
		return z.toUTC(s.w, s.fold), true
	}
	return 0, false
}

// stepMinutes is cronsim's minute loop: add one real minute until the wall
// minute is allowed or is 0. Within one offset period, wall minutes advance in
// step with real ones, so it jumps straight to where the loop would stop.
func (e *Expr) stepMinutes(s *elapsedState) {
	for range 61 {
		mi := splitWall(s.w).mi
		if e.minutes&(1<<mi) != 0 {
			return
		}
		stop := 60 // the top of the hour
		if later := e.minutes >> (mi + 1) << (mi + 1); later != 0 {
			stop = bits.TrailingZeros64(later)
		}
		u := s.z.toUTC(s.w, s.fold)
		if n := int64(stop-mi) * 60; u >= s.z.start && u+n < s.z.end {
			s.w, s.fold = s.z.fromUTC(u + n)
			return
		}
		s.tick(60)
		if splitWall(s.w).mi == 0 {
			return
		}
	}
}
