package oncalendar

import (
	"math"
	"math/bits"
	"slices"
	"time"
)

// Wall-clock ("naive") times are handled as seconds since 1970-01-01T00:00:00
// in a zone-less calendar, which is what upstream iterates over before it
// attaches the zone.

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil is the proleptic Gregorian day number (0 = 1970-01-01).
func daysFromCivil(y, m, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := floorDiv(yy, 400)
	yoe := yy - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int64) (y, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysIn(y, m int) int {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// weekdayOf returns 0 for Monday … 6 for Sunday; day 0 was a Thursday.
func weekdayOf(days int64) int {
	return int((days%7 + 7 + 3) % 7)
}

// nextBit returns the lowest set bit of mask at or above from, or -1.
func nextBit(mask uint64, from int) int {
	if from >= 64 {
		return -1
	}
	if from > 0 {
		mask &^= (1 << uint(from)) - 1
	}
	if mask == 0 {
		return -1
	}
	return bits.TrailingZeros64(mask)
}

func (sp *spec) nextYear(y int) int {
	for i := y - 1970; i < maxYear-1970; {
		w := sp.years[i>>6] >> (uint(i) & 63)
		if w != 0 {
			return 1970 + i + bits.TrailingZeros64(w)
		}
		i = (i | 63) + 1
	}
	return maxYear
}

// dayMask gives the matching days of one month as bits 1..31.
func (sp *spec) dayMask(y, m int) uint64 {
	n := daysIn(y, m)
	mask := sp.days
	if sp.rdays != 0 {
		// Bit k of rdays (k-th from the end) moves to bit n+1-k.
		mask |= (uint64(bits.Reverse32(sp.rdays)) << 1) >> uint(31-n)
	}
	mask &= sp.dowMask[weekdayOf(daysFromCivil(y, m, 1))]
	return mask & ((1 << uint(n+1)) - 2)
}

// search returns the earliest wall-clock second >= start that matches every
// field, or false when there is none before maxYear.
func (sp *spec) search(start int64) (int64, bool) {
	days := floorDiv(start, 86400)
	sec := int(start - days*86400)
	y, mo, d := civilFromDays(days)
	h, mi, s := sec/3600, sec/60%60, sec%60
	if y < 1970 {
		y, mo, d, h, mi, s = 1970, 1, 1, 0, 0, 0
	}
	// Every pass either returns or moves the cursor forward by at least one
	// unit of some field, and year moves monotonically to maxYear, so the
	// loop is bounded (a few thousand passes for a schedule that never fires).
	for y < maxYear {
		if ny := sp.nextYear(y); ny != y {
			y, mo, d, h, mi, s = ny, 1, 1, 0, 0, 0
			continue
		}
		nm := nextBit(uint64(sp.months), mo)
		if nm < 0 {
			y, mo, d, h, mi, s = y+1, 1, 1, 0, 0, 0
			continue
		}
		if nm != mo {
			mo, d, h, mi, s = nm, 1, 0, 0, 0
		}
		nd := nextBit(sp.dayMask(y, mo), d)
		if nd < 0 {
			mo, d, h, mi, s = mo+1, 1, 0, 0, 0
			if mo > 12 {
				y, mo = y+1, 1
			}
			continue
		}
		if nd != d {
			d, h, mi, s = nd, 0, 0, 0
		}
		nh := nextBit(uint64(sp.hours), h)
		if nh < 0 {
			d, h, mi, s = d+1, 0, 0, 0
			continue
		}
		if nh != h {
			h, mi, s = nh, 0, 0
		}
		nmi := nextBit(sp.minutes, mi)
		if nmi < 0 {
			h, mi, s = h+1, 0, 0
			continue
		}
		if nmi != mi {
			mi, s = nmi, 0
		}
		ns := nextBit(sp.seconds, s)
		if ns < 0 {
			mi, s = mi+1, 0
			continue
		}
		return daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+ns), true
	}
	return 0, false
}

// maxOffset bounds any UTC offset in the tz database (LMT offsets reach
// about ±15:56), so every instant showing a given wall time lies within it.
const maxOffset = 27 * 3600

func offsetAt(x int64, z *time.Location) int64 {
	_, off := time.Unix(x, 0).In(z).Zone()
	return int64(off)
}

// resolve maps wall time w in zone z to an instant the way Python does with
// fold=0: the first pass of a repeated time. ok is false when w falls in a
// gap; skip is then the first wall time after the gap (0 if unknown).
//
// Only offset lookups are used: Go's ZoneBounds reports artificial period
// ends at year boundaries beyond the last explicit transition.
func resolve(w int64, z *time.Location) (u int64, ok bool, skip int64) {
	if z == time.UTC {
		return w, true, 0
	}
	// Collect every offset that could apply to an instant showing w: the
	// ones at both ends of the window, then whatever the candidates lead to.
	var cand [8]int64
	n := 0
	add := func(o int64) {
		for _, c := range cand[:n] {
			if c == o {
				return
			}
		}
		if n < len(cand) {
			cand[n] = o
			n++
		}
	}
	add(offsetAt(w-maxOffset, z))
	add(offsetAt(w, z))
	add(offsetAt(w+maxOffset, z))
	best := int64(math.MaxInt64)
	for i := 0; i < n; i++ {
		c := w - cand[i]
		if o := offsetAt(c, z); o == cand[i] {
			best = min(best, c)
		} else {
			add(o)
		}
	}
	if best != math.MaxInt64 {
		return best, true, 0
	}
	// w is in a gap: find the transition by bisection between the instants
	// the smallest and largest offsets point at, and resume after it.
	lo, hi := w-slices.Max(cand[:n]), w-slices.Min(cand[:n])
	olo := offsetAt(lo, z)
	if offsetAt(hi, z) == olo {
		return 0, false, 0
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if offsetAt(mid, z) == olo {
			lo = mid
		} else {
			hi = mid
		}
	}
	if s := hi + offsetAt(hi, z); s > w {
		skip = s
	}
	return 0, false, skip
}

// wallClock is the wall time of instant u in z as naive seconds.
func wallClock(u int64, z *time.Location) int64 {
	if z == time.UTC {
		return u
	}
	_, off := time.Unix(u, 0).In(z).Zone()
	return u + int64(off)
}

// next is the first occurrence of this line strictly after the whole second
// containing after, evaluated on wall-clock time in z. Gap times are skipped
// and repeated times fire on their first pass only.
func (sp *spec) next(after time.Time, z *time.Location) (int64, bool) {
	if sp.zone != nil {
		z = sp.zone
	}
	u := after.Unix() // floor to the second
	// The wall time is taken without remembering which pass it was on;
	// upstream does the same, which can move the answer before after.
	start := wallClock(u, z) + 1
	for range 100000 {
		w, ok := sp.search(start)
		if !ok {
			return 0, false
		}
		inst, ok, skip := resolve(w, z)
		if ok {
			return inst, true
		}
		start = max(w+1, skip)
	}
	return 0, false
}
