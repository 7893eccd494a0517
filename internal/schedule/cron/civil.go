package cron

import "math/bits"

// Wall-clock times are handled as "local seconds": seconds since
// 1970-01-01 00:00 of the naive local calendar. That keeps the search free of
// time.Time and allocation, and it is exactly Python's naive datetime.

const (
	secondsPerDay = 86400
	// searchYears is cronsim's window: it gives up once the candidate's year
	// is more than this many years past the year it started in.
	searchYears = 50
)

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// daysFromCivil returns the day number (0 = 1970-01-01) of a proleptic
// Gregorian date (H. Hinnant's algorithm).
func daysFromCivil(y int64, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// civilFromDays is the inverse of daysFromCivil.
func civilFromDays(z int64) (y int64, m, d int) {
	z += 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// weekdayOfDays returns 0 for Sunday ... 6 for Saturday.
func weekdayOfDays(z int64) int {
	return int(((z % 7) + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

func isLeap(y int64) bool {
	return y%4 == 0 && (y%100 != 0 || y%400 == 0)
}

func monthLen(y int64, m int) int {
	if m == 2 {
		if isLeap(y) {
			return 29
		}
		return 28
	}
	return maxMonthDays[m]
}

// wallFields splits local seconds into calendar fields.
type wallFields struct {
	y               int64
	mo, d, h, mi, s int
}

func splitWall(w int64) wallFields {
	days := floorDiv(w, secondsPerDay)
	sod := int(w - days*secondsPerDay)
	y, m, d := civilFromDays(days)
	return wallFields{y: y, mo: m, d: d, h: sod / 3600, mi: sod / 60 % 60, s: sod % 60}
}

func joinWall(y int64, m, d, h, mi int) int64 {
	return daysFromCivil(y, m, d)*secondsPerDay + int64(h*3600+mi*60)
}

// weekly has one bit every 7 days; shifted by a first day it marks that
// weekday's dates in a month.
const weekly = 1 | 1<<7 | 1<<14 | 1<<21 | 1<<28

// dayMask returns bits 1-31 set for the days of month m that match both day
// fields under the expression's OR/AND rule.
func (e *Expr) dayMask(y int64, m int) uint64 {
	n := monthLen(y, m)
	inMonth := rangeBits(1, n)
	first := weekdayOfDays(daysFromCivil(y, m, 1))

	dom := e.days & inMonth
	if e.dayLast {
		dom |= 1 << n
	}
	if e.dayLastWeekday {
		// The last Monday-Friday: step back over a trailing weekend.
		last := n
		switch (first + n - 1) % 7 {
		case 0:
			last -= 2
		case 6:
			last--
		}
		dom |= 1 << last
	}

	var dow uint64
	for w := 0; w < 7; w++ {
		plain := e.dows&(1<<w) != 0
		nth := e.dowNth[w]
		lastOf := e.dowLast&(1<<w) != 0
		if !plain && nth == 0 && !lastOf {
			continue
		}
		d0 := 1 + (w-first+7)%7 // first date in the month on weekday w
		if plain {
			dow |= weekly << d0
		}
		for b := uint64(nth); b != 0; b &= b - 1 {
			dow |= 1 << (d0 + 7*(bits.TrailingZeros64(b)-1))
		}
		if lastOf {
			dow |= 1 << (d0 + 7*((n-d0)/7))
		}
	}
	dow &= inMonth

	if e.dayAnd {
		return dom & dow
	}
	return dom | dow
}

// nextWall returns the first wall time at or after w that matches, searching
// naive calendar time as cronsim does for fixed-time jobs. ok is false when the
// match would lie in a year after limitYear.
func (e *Expr) nextWall(w int64, limitYear int64) (int64, bool) {
	f := splitWall(w)
	y, m, d, h, mi := f.y, f.mo, f.d, f.h, f.mi
	if f.s > 0 {
		mi++
	}
	if mi == 60 {
		mi, h = 0, h+1
	}
	if h == 24 {
		h, d = 0, d+1
	}
	// Every pass either returns or moves to a later month, day or hour that
	// is known to be allowed, so passes are bounded by the months in the window
	// plus a few carries; the cap only guards against a logic error.
	for range 4 * 12 * (searchYears + 2) {
		if m > 12 {
			m, y = 1, y+1
		}
		if d > monthLen(y, m) {
			d, h, mi = 1, 0, 0
			if m++; m > 12 {
				m, y = 1, y+1
			}
		}
		if e.months&(1<<m) == 0 {
			if later := e.months >> (m + 1) << (m + 1); later != 0 {
				m = bits.TrailingZeros64(later)
			} else {
				m, y = bits.TrailingZeros64(e.months), y+1
			}
			d, h, mi = 1, 0, 0
		}
		if y > limitYear {
			return 0, false
		}
		dm := e.dayMask(y, m) >> d << d
		if dm == 0 {
			m++
			d, h, mi = 1, 0, 0
			continue
		}
		if nd := bits.TrailingZeros64(dm); nd != d {
			d, h, mi = nd, 0, 0
		}
		hm := e.hours >> h << h
		if hm == 0 {
			d++
			h, mi = 0, 0
			continue
		}
		if nh := bits.TrailingZeros64(hm); nh != h {
			h, mi = nh, 0
		}
		mm := e.minutes >> mi << mi
		if mm == 0 {
			h++
			mi = 0
			if h == 24 {
				h, d = 0, d+1
			}
			continue
		}
		return joinWall(y, m, d, h, bits.TrailingZeros64(mm)), true
	}
	return 0, false
}
