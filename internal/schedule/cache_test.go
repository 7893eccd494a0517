package schedule

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestCacheReturnsSameSchedule(t *testing.T) {
	c := NewCache(8)
	a, err := c.Parse("cron", "*/5 * * * *", "Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Parse("cron", "*/5 * * * *", "Europe/Riga")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Error("second Parse of the same schedule did not come from the cache")
	}
	d, err := c.Parse("cron", "*/5 * * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	if d == a {
		t.Error("a different zone shared a cache entry")
	}
	if c.Len() != 2 {
		t.Errorf("Len = %d, want 2", c.Len())
	}
}

func TestCacheKeepsErrors(t *testing.T) {
	c := NewCache(8)
	for range 2 {
		if _, err := c.Parse("cron", "61 * * * *", "UTC"); !errors.Is(err, ErrInvalidSchedule) {
			t.Fatalf("error = %v, want ErrInvalidSchedule", err)
		}
	}
	if c.Len() != 1 {
		t.Errorf("Len = %d, want 1", c.Len())
	}
}

func TestCacheIsBounded(t *testing.T) {
	for _, size := range []int{2, 3, 10, 100} {
		c := NewCache(size)
		for i := range 5 * size {
			if _, err := c.Parse("cron", fmt.Sprintf("%d * * * *", i%60), fmt.Sprint("Etc/GMT+", i/60%12)); err != nil {
				t.Fatal(err)
			}
			if n := c.Len(); n > size {
				t.Fatalf("size %d: Len = %d after %d inserts", size, n, i+1)
			}
		}
	}
}

func TestCacheKeepsRecentlyUsed(t *testing.T) {
	c := NewCache(4)
	hot, err := c.Parse("cron", "0 0 * * *", "UTC")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := c.Parse("cron", fmt.Sprintf("%d 1 * * *", i), "UTC"); err != nil {
			t.Fatal(err)
		}
		again, _ := c.Parse("cron", "0 0 * * *", "UTC")
		if again != hot {
			t.Fatalf("a schedule used after every insert was evicted (insert %d)", i)
		}
	}
}

// Run with -race: concurrent readers and writers on a small cache.
func TestCacheConcurrent(t *testing.T) {
	c := NewCache(16)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				expr := fmt.Sprintf("%d * * * *", (g*7+i)%40)
				if _, err := c.Parse("cron", expr, "UTC"); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 16 {
		t.Errorf("Len = %d, want at most 16", c.Len())
	}
}

func TestNewCacheDefaultSize(t *testing.T) {
	if c := NewCache(0); c.half != DefaultCacheSize/2 {
		t.Errorf("NewCache(0) holds %d per generation, want %d", c.half, DefaultCacheSize/2)
	}
}
