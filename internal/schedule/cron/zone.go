package cron

import "time"

const (
	farPast   = -1 << 62
	farFuture = 1 << 62
)

// zoneCursor converts between instants and Python-style (wall time, fold)
// pairs in one location. It remembers the offset period it last looked at, so
// a search that stays within one period does no zone lookups at all. It lives
// on the stack of one Next call; nothing is cached globally.
type zoneCursor struct {
	loc    *time.Location
	loaded bool
	// The period [start, end) has offset off; offPrev is in force just
	// before start and offNext from end on (all in seconds).
	start, end            int64
	off, offPrev, offNext int64
}

func offsetAt(loc *time.Location, u int64) int64 {
	_, off := time.Unix(u, 0).In(loc).Zone()
	return int64(off)
}

func (c *zoneCursor) load(u int64) {
	t := time.Unix(u, 0).In(c.loc)
	_, off := t.Zone()
	s, e := t.ZoneBounds()
	c.loaded = true
	c.off = int64(off)
	c.start, c.end = farPast, farFuture
	if !s.IsZero() {
		c.start = s.Unix()
	}
	if !e.IsZero() {
		c.end = e.Unix()
	}
	if c.start > u {
		c.start = u
	}
	if c.end <= u {
		// Go's rule-based (TZ string) periods can end at "start of year +
		// 365 days", which is Dec 31 in leap years; the offset really runs on
		// into the next year's first period.
		c.end = u + 1
		if s2, _ := time.Unix(u+secondsPerDay, 0).In(c.loc).ZoneBounds(); !s2.IsZero() && s2.Unix() > u {
			c.end = s2.Unix()
		}
	}
	c.offPrev, c.offNext = c.off, c.off
	if c.start != farPast {
		c.offPrev = offsetAt(c.loc, c.start-1)
	}
	if c.end != farFuture {
		c.offNext = offsetAt(c.loc, c.end)
	}
}

// fromUTC is zoneinfo's fromutc: the wall time of instant u, and fold=true
// when that wall time also occurred earlier (u is in the second pass).
func (c *zoneCursor) fromUTC(u int64) (w int64, fold bool) {
	if !c.loaded || u < c.start || u >= c.end {
		c.load(u)
	}
	return u + c.off, c.offPrev > c.off && u-c.start < c.offPrev-c.off
}

// pick chooses where a transition between offsets a and b falls in wall time
// for Python's fold attribute: fold=0 keeps the earlier offset through a gap
// or a repeated interval, fold=1 switches at the first possible moment.
func pick(fold bool, a, b int64) int64 {
	if fold == (a < b) {
		return a
	}
	return b
}

// toUTC is zoneinfo's utcoffset for a wall time with a fold: in a repeated
// interval fold picks the pass; in a gap fold=0 uses the offset from before
// the gap (so the instant lands after it) and fold=1 the offset after it.
func (c *zoneCursor) toUTC(w int64, fold bool) int64 {
	// Jump straight to the right neighbourhood when w is not next to the
	// cached period; afterwards only adjacent periods are visited.
	if !c.loaded || w < satAdd(c.start, -2*secondsPerDay) || w >= satAdd(c.end, 2*secondsPerDay) {
		c.load(w - offsetAt(c.loc, w))
	}
	// Periods are far longer than any offset change, so a step or two to a
	// neighbouring period always settles; the cap just bounds the work.
	for range 8 {
		if c.start != farPast && w < c.start+pick(fold, c.offPrev, c.off) {
			c.load(c.start - 1)
			continue
		}
		if c.end != farFuture && w >= c.end+pick(fold, c.off, c.offNext) {
			c.load(c.end)
			continue
		}
		break
	}
	return w - c.off
}

// satAdd adds d to a period bound, leaving the open-ended sentinels alone.
func satAdd(b, d int64) int64 {
	if b == farPast || b == farFuture {
		return b
	}
	return b + d
}
