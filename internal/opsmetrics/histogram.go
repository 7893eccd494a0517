package opsmetrics

import (
	"math"
	"sort"
	"sync/atomic"
)

// histogram is a Prometheus histogram that many goroutines observe without
// a lock: one atomic counter per bucket and the sum kept as float64 bits,
// updated by compare-and-swap. A scrape reads the counters one by one, so
// it may see an observation in a bucket but not yet in the sum; the count
// it prints is the buckets' total, so _count always equals the +Inf bucket.
type histogram struct {
	bounds []float64       // upper bounds, ascending; +Inf is implicit
	counts []atomic.Uint64 // len(bounds)+1: the last is above every bound
	sum    atomic.Uint64   // math.Float64bits of the sum
}

func newHistogram(bounds ...float64) *histogram {
	if !sort.Float64sAreSorted(bounds) {
		panic("opsmetrics: histogram bounds not ascending") // a programming error in this package
	}
	return &histogram{bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// Observe records one value. NaN is dropped: it has no bucket and would
// poison the sum forever.
func (h *histogram) Observe(v float64) {
	if math.IsNaN(v) {
		return
	}
	// The first bound >= v: Prometheus buckets are "less than or equal".
	h.counts[sort.SearchFloat64s(h.bounds, v)].Add(1)
	for {
		old := h.sum.Load()
		if h.sum.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// snapshot returns the cumulative bucket counts (the last is +Inf, which
// is also the count) and the sum.
func (h *histogram) snapshot() (cumulative []uint64, sum float64) {
	cumulative = make([]uint64, len(h.counts))
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
		cumulative[i] = n
	}
	return cumulative, math.Float64frombits(h.sum.Load())
}
