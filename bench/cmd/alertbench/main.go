// Command alertbench measures the alert engine and the outbox on a real
// database: idle cost with many checks and none due, detection latency for
// a lone due check and for a thousand checks due at one instant, and the
// time until all of those checks' webhooks have reached a local endpoint.
// bench/RESULTS.md records its output and the command that produced it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

func main() {
	engine := flag.String("engine", "sqlite", "sqlite, postgres or mysql")
	dsn := flag.String("dsn", "", "PostgreSQL or MySQL DSN (a fresh, empty database)")
	nChecks := flag.Int("checks", 100_000, "checks in the database")
	nDue := flag.Int("due", 1000, "checks due at the same instant")
	idleFor := flag.Duration("idle", 30*time.Second, "how long to measure the idle cost")
	workers := flag.Int("workers", 32, "dispatcher workers")
	flag.Parse()

	ctx := context.Background()
	cfg := store.Config{Engine: *engine, DSN: *dsn, ChannelEvents: kinds.New().Events}
	if *engine == "sqlite" {
		dir, err := os.MkdirTemp("", "alertbench")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		cfg.Path = filepath.Join(dir, "bench.sqlite")
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	// The endpoint every webhook goes to, recording arrival times.
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		arrivals = append(arrivals, now)
		mu.Unlock()
	}))
	defer srv.Close()

	u := model.User{Email: uuid.NewString() + "@example.org", Created: time.Now(), CheckLimit: 1 << 30, PingLogLimit: 100}
	must(st.CreateUser(ctx, &u))
	p := model.Project{Code: uuid.NewString(), Name: "bench", OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: time.Now()}
	must(st.CreateProject(ctx, &p))
	ch := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "webhook", Created: time.Now(),
		Value: `{"method_down": "POST", "url_down": "` + srv.URL + `/$CODE", "body_down": "$NAME is $STATUS", "headers_down": {}}`}
	must(st.CreateChannel(ctx, &ch))

	// Seed: every check is up, last pinged now, with a one-day period, so
	// none is due during the run unless moved.
	seedStart := time.Now()
	par := 8
	if *engine == "sqlite" {
		par = 1
	}
	// create makes n checks pinged at last (one-day period, one hour of
	// grace), so each is due at last+25h, linked to the webhook channel.
	create := func(n int, last time.Time) []int64 {
		ids := make([]int64, n)
		deadline := last.Add(25 * time.Hour)
		var wg sync.WaitGroup
		for g := 0; g < par; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < n; i += par {
					c := model.NewCheck(p.ID, last)
					c.Name = fmt.Sprintf("check %d", i)
					c.Status, c.LastPing, c.AlertAfter = model.StatusUp, &last, &deadline
					must(st.CreateCheckWithChannels(ctx, &c, []int64{ch.ID}))
					ids[i] = c.ID
				}
			}()
		}
		wg.Wait()
		return ids
	}
	create(*nChecks, time.Now())
	fmt.Printf("engine=%s checks=%d seeded in %v\n", *engine, *nChecks, time.Since(seedStart).Round(time.Millisecond))

	var flipMu sync.Mutex
	flipAt := map[int64]time.Time{}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	client := notify.NewClient(notify.ClientOptions{AllowPrivate: true})
	d := alerts.NewDispatcher(alerts.DispatcherOptions{Store: st, Workers: *workers,
		Transports: notify.Registry{"webhook": &webhook.Transport{Client: client}}})
	e := alerts.NewEngine(alerts.EngineOptions{Store: st, Cache: schedule.NewCache(10_000), OnFlips: func(fs []model.Flip) {
		now := time.Now()
		flipMu.Lock()
		for _, f := range fs {
			flipAt[f.CheckID] = now
		}
		flipMu.Unlock()
		d.Wake()
	}})
	go e.Run(runCtx)            //nolint:errcheck // ends with runCtx
	go d.Run(runCtx)            //nolint:errcheck
	time.Sleep(3 * time.Second) // let both settle into their sleep

	// 1. Idle cost: CPU time of this whole process over the idle period.
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(*idleFor)
	cpu, wall := cpuTime()-cpu0, time.Since(wall0)
	fmt.Printf("idle: %d checks, none due: %.3f%% of one core over %v (process CPU %v)\n",
		*nChecks, 100*cpu.Seconds()/wall.Seconds(), wall.Round(time.Second), cpu.Round(time.Millisecond))

	// 2. A lone due check, scheduled after the engine's next poll has seen it.
	// Created a few seconds ahead, so that the engine's bounded poll has
	// seen it and sleeps until exactly its deadline.
	loneDue := time.Now().Add(4 * time.Second).Truncate(time.Millisecond)
	lone := create(1, loneDue.Add(-25*time.Hour))[0]
	waitFor(func() bool { flipMu.Lock(); defer flipMu.Unlock(); _, ok := flipAt[lone]; return ok }, 30*time.Second)
	flipMu.Lock()
	fmt.Printf("lone check: flip written %v after its due time\n", flipAt[lone].Sub(loneDue).Round(100*time.Microsecond))
	flipMu.Unlock()
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return len(arrivals) == 1 }, 30*time.Second)
	mu.Lock()
	arrivals = arrivals[:0]
	mu.Unlock()

	// 3. nDue checks due at the same instant.
	dueAt := time.Now().Add(8 * time.Second).Truncate(time.Millisecond)
	due := create(*nDue, dueAt.Add(-25*time.Hour))
	if time.Now().After(dueAt.Add(-2 * time.Second)) {
		log.Fatalf("creating %d checks took too long for the measurement", *nDue)
	}
	waitFor(func() bool { mu.Lock(); defer mu.Unlock(); return len(arrivals) >= *nDue }, 120*time.Second)
	flipMu.Lock()
	var lat []time.Duration
	for _, id := range due {
		if t, ok := flipAt[id]; ok {
			lat = append(lat, t.Sub(dueAt))
		}
	}
	flipMu.Unlock()
	slices.Sort(lat)
	mu.Lock()
	slices.SortFunc(arrivals, func(a, b time.Time) int { return a.Compare(b) })
	lastArrival := arrivals[len(arrivals)-1].Sub(dueAt)
	n := len(arrivals)
	mu.Unlock()
	fmt.Printf("%d due at once: flips %d, latency after due p50 %v p99 %v max %v\n", *nDue, len(lat),
		pct(lat, 50), pct(lat, 99), lat[len(lat)-1].Round(time.Millisecond))
	fmt.Printf("%d due at once: %d webhooks delivered, the last %v after the due time\n", *nDue, n, lastArrival.Round(time.Millisecond))

	// Baseline in the same run: the same number of webhook requests through
	// the same client and endpoint, with the same concurrency, no database.
	stop()
	base := time.Now()
	var bw sync.WaitGroup
	sem := make(chan struct{}, *workers)
	tr := &webhook.Transport{Client: client}
	for i := 0; i < *nDue; i++ {
		bw.Add(1)
		sem <- struct{}{}
		go func() {
			defer bw.Done()
			defer func() { <-sem }()
			m := &notify.Message{Status: "down", Check: model.Check{Code: uuid.NewString(), Name: "x"}, Channel: ch, Now: time.Now()}
			must(tr.Send(ctx, m))
		}()
	}
	bw.Wait()
	bare := time.Since(base)
	fmt.Printf("baseline: %d webhooks sent directly (%d workers, no database) in %v; pipeline/baseline = %.1f×\n",
		*nDue, *workers, bare.Round(time.Millisecond), lastArrival.Seconds()/bare.Seconds())
}

func pct(xs []time.Duration, p int) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	i := (len(xs)*p+99)/100 - 1
	return xs[max(i, 0)].Round(time.Millisecond)
}

func waitFor(cond func() bool, limit time.Duration) {
	end := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(end) {
			log.Fatalf("timed out after %v", limit)
		}
		time.Sleep(time.Millisecond)
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
