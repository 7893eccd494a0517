package schedule

import "sync"

// DefaultCacheSize is the Cache bound NewCache uses for a size below 1.
const DefaultCacheSize = 4096

type cacheKey struct{ kind, expr, tz string }

type cacheEntry struct {
	sch Schedule
	err error
}

// Cache remembers Parse results (failures included) so that computing the
// statuses of many checks doesn't parse the same schedule again and again.
// It is safe for concurrent use and holds at most its size in entries.
// The zero value is not usable; call NewCache.
type Cache struct {
	mu   sync.Mutex
	half int
	// Two generations approximate LRU without per-entry bookkeeping: hits
	// in old move to cur, and when cur fills up, old (whatever was not used
	// during a whole generation) is dropped.
	cur, old map[cacheKey]cacheEntry
}

// NewCache returns an empty cache holding at most size entries (at least
// two; a size below 1 means DefaultCacheSize).
func NewCache(size int) *Cache {
	if size < 1 {
		size = DefaultCacheSize
	}
	half := max(size/2, 1)
	return &Cache{half: half, cur: make(map[cacheKey]cacheEntry, half)}
}

// Parse is Parse with memoization. Parsing is deterministic, so an error is
// cached like a result.
func (c *Cache) Parse(kind, expr, tz string) (Schedule, error) {
	k := cacheKey{kind, expr, tz}
	c.mu.Lock()
	if e, ok := c.cur[k]; ok {
		c.mu.Unlock()
		return e.sch, e.err
	}
	if e, ok := c.old[k]; ok {
		c.putLocked(k, e)
		c.mu.Unlock()
		return e.sch, e.err
	}
	c.mu.Unlock()

	// Parse outside the lock: two goroutines may parse the same schedule at
	// once, which is cheaper than making every reader wait on a slow parse.
	sch, err := Parse(kind, expr, tz)
	c.mu.Lock()
	c.putLocked(k, cacheEntry{sch, err})
	c.mu.Unlock()
	return sch, err
}

// Len returns the number of cached entries.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.cur)
	for k := range c.old {
		if _, dup := c.cur[k]; !dup {
			n++
		}
	}
	return n
}

func (c *Cache) putLocked(k cacheKey, e cacheEntry) {
	if len(c.cur) >= c.half {
		c.old = c.cur
		c.cur = make(map[cacheKey]cacheEntry, c.half)
	}
	c.cur[k] = e
}
