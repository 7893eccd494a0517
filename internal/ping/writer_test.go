package ping

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
)

// memStore is an in-memory Committer: one mutex is the transaction.
type memStore struct {
	mu     sync.Mutex
	checks map[int64]model.Check
	pings  []model.Ping
	flips  []model.Flip
	txs    int
	sizes  []int // pings per committed transaction
	fail   error // returned by every transaction after fn ran

	// When hold is set, the first transaction announces itself on entered
	// and waits for hold to be closed: the test then queues requests that
	// must all land in the next batch.
	hold    chan struct{}
	entered chan struct{}
}

func newMemStore(ids ...int64) *memStore {
	m := &memStore{checks: map[int64]model.Check{}}
	for _, id := range ids {
		c := model.NewCheck(1, t0)
		c.ID = id
		m.checks[id] = c
	}
	return m
}

func (m *memStore) ApplyPings(ctx context.Context, ids []int64, fn func(map[int64]*model.Check) ([]model.Ping, []model.Flip, error)) error {
	m.mu.Lock()
	m.txs++
	first := m.txs == 1
	m.mu.Unlock()
	if first && m.hold != nil {
		m.entered <- struct{}{}
		<-m.hold
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("transaction context: %w", err)
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	work := make(map[int64]*model.Check, len(ids))
	for _, id := range ids {
		if c, ok := m.checks[id]; ok {
			work[id] = &c
		}
	}
	pings, flips, err := fn(work)
	if err != nil {
		return err
	}
	if m.fail != nil {
		return m.fail
	}
	for id, c := range work {
		m.checks[id] = *c
	}
	m.pings = append(m.pings, pings...)
	m.flips = append(m.flips, flips...)
	m.sizes = append(m.sizes, len(pings))
	return nil
}

func (m *memStore) snapshot() (txs int, sizes []int, checks map[int64]model.Check, pings []model.Ping, flips []model.Flip) {
	m.mu.Lock()
	defer m.mu.Unlock()
	checks = make(map[int64]model.Check, len(m.checks))
	for k, v := range m.checks {
		checks[k] = v
	}
	return m.txs, append([]int(nil), m.sizes...), checks, append([]model.Ping(nil), m.pings...), append([]model.Flip(nil), m.flips...)
}

type outcomeT struct {
	res Result
	err error
}

// harness runs a Writer for one test and stops it at cleanup.
type harness struct {
	w      *Writer
	stop   context.CancelFunc
	runErr chan error
}

func startWriter(t *testing.T, c Committer, opts WriterOptions) *harness {
	t.Helper()
	if opts.AlertAfter == nil {
		opts.AlertAfter = simpleAlertAfter
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return now }
	}
	w := NewWriter(c, opts)
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{w: w, stop: cancel, runErr: make(chan error, 1)}
	go func() { h.runErr <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-h.runErr; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return h
}

func (h *harness) submitAsync(ctx context.Context, id int64, ev Event) chan outcomeT {
	ch := make(chan outcomeT, 1)
	go func() {
		res, err := h.w.Submit(ctx, Request{CheckID: id, Event: ev})
		ch <- outcomeT{res, err}
	}()
	return ch
}

// waitQueued waits until n requests sit in the writer's queue. It polls,
// but asserts nothing about speed: the test's own timeout is the bound.
func (h *harness) waitQueued(t *testing.T, n int) {
	t.Helper()
	for {
		h.w.mu.Lock()
		l := len(h.w.queue)
		h.w.mu.Unlock()
		if l >= n {
			return
		}
		if t.Context().Err() != nil {
			t.Fatalf("only %d of %d requests queued", l, n)
		}
		time.Sleep(time.Millisecond)
	}
}

var success = Event{Action: ActionSuccess}

func TestWriterGroupsQueuedPings(t *testing.T) {
	for _, tt := range []struct {
		maxBatch  int
		queued    int
		wantSizes []int
	}{
		{maxBatch: 500, queued: 200, wantSizes: []int{1, 200}},
		{maxBatch: 64, queued: 200, wantSizes: []int{1, 64, 64, 64, 8}},
	} {
		t.Run(fmt.Sprintf("max%d", tt.maxBatch), func(t *testing.T) {
			m := newMemStore(1, 2, 3)
			m.hold, m.entered = make(chan struct{}), make(chan struct{})
			h := startWriter(t, m, WriterOptions{MaxBatch: tt.maxBatch})

			first := h.submitAsync(t.Context(), 1, success)
			<-m.entered
			outs := make([]chan outcomeT, tt.queued)
			for i := range outs {
				outs[i] = h.submitAsync(t.Context(), int64(1+i%3), success)
			}
			h.waitQueued(t, tt.queued)
			close(m.hold)

			seen := map[int64]map[int64]bool{1: {}, 2: {}, 3: {}}
			for _, ch := range append(outs, first) {
				o := <-ch
				if o.err != nil {
					t.Fatalf("Submit: %v", o.err)
				}
				id := o.res.Ping.CheckID
				if o.res.Check.NPings != o.res.Ping.N || o.res.Check.ID != id {
					t.Errorf("result check %d n_pings %d, ping n %d", o.res.Check.ID, o.res.Check.NPings, o.res.Ping.N)
				}
				if seen[id][o.res.Ping.N] {
					t.Errorf("check %d: ping n %d handed out twice", id, o.res.Ping.N)
				}
				seen[id][o.res.Ping.N] = true
			}
			txs, sizes, checks, pings, _ := m.snapshot()
			if fmt.Sprint(sizes) != fmt.Sprint(tt.wantSizes) || txs != len(tt.wantSizes) {
				t.Errorf("%d transactions of sizes %v, want %v", txs, sizes, tt.wantSizes)
			}
			total := int64(0)
			for id, c := range checks {
				if c.NPings != int64(len(seen[id])) {
					t.Errorf("check %d: n_pings %d, want %d", id, c.NPings, len(seen[id]))
				}
				total += c.NPings
			}
			if total != int64(tt.queued+1) || len(pings) != tt.queued+1 {
				t.Errorf("n_pings sum %d, %d ping rows, want %d", total, len(pings), tt.queued+1)
			}
		})
	}
}

func TestWriterConcurrentSubmits(t *testing.T) {
	const workers, each, nChecks = 64, 50, 8
	m := newMemStore(1, 2, 3, 4, 5, 6, 7, 8)
	h := startWriter(t, m, WriterOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for g := range workers {
		wg.Go(func() {
			for i := range each {
				id := int64(1 + (g+i)%nChecks)
				res, err := h.w.Submit(t.Context(), Request{CheckID: id, Event: success})
				if err == nil && res.Check.NPings != res.Ping.N {
					err = fmt.Errorf("n_pings %d != ping n %d", res.Check.NPings, res.Ping.N)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	txs, _, checks, pings, flips := m.snapshot()
	for id, c := range checks {
		if c.NPings != workers*each/nChecks {
			t.Errorf("check %d: n_pings %d, want %d", id, c.NPings, workers*each/nChecks)
		}
	}
	if len(pings) != workers*each || len(flips) != nChecks {
		t.Errorf("%d pings, %d flips, want %d and %d", len(pings), len(flips), workers*each, nChecks)
	}
	t.Logf("%d pings in %d transactions", workers*each, txs)
}

func TestWriterChainsPingsOfOneCheckInArrivalOrder(t *testing.T) {
	m := newMemStore(1, 2)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	h := startWriter(t, m, WriterOptions{})

	first := h.submitAsync(t.Context(), 2, success)
	<-m.entered
	evs := []Event{
		{Action: ActionStart, RID: ridA},
		{Action: ActionLog, Body: []byte("please confirm")},
		{Action: ActionSuccess, RID: ridA},
		{Action: ActionFail},
		{Action: ActionSuccess, ExitStatus: intp(0)},
	}
	outs := make([]chan outcomeT, len(evs))
	for i, ev := range evs {
		outs[i] = h.submitAsync(t.Context(), 1, ev)
		h.waitQueued(t, i+1) // fixes the arrival order
	}
	close(m.hold)
	<-first

	wantKinds := []string{"start", "log", "", "fail", ""}
	wantStatus := []string{"new", "new", "up", "down", "up"}
	for i, ch := range outs {
		o := <-ch
		if o.err != nil {
			t.Fatalf("ping %d: %v", i, o.err)
		}
		if o.res.Ping.N != int64(i+1) || o.res.Ping.Kind != wantKinds[i] || o.res.Check.Status != wantStatus[i] {
			t.Errorf("ping %d: n %d kind %q status %q, want n %d kind %q status %q", i,
				o.res.Ping.N, o.res.Ping.Kind, o.res.Check.Status, i+1, wantKinds[i], wantStatus[i])
		}
		if i == 2 && (o.res.Check.LastDuration == nil || o.res.Check.LastStart != nil) {
			t.Errorf("success after start in one batch: last_duration %v, last_start %v", o.res.Check.LastDuration, o.res.Check.LastStart)
		}
		if i == 1 && !o.res.Check.HasConfirmationLink {
			t.Error("log ping with 'confirm' did not set has_confirmation_link")
		}
	}
	_, sizes, checks, pings, flips := m.snapshot()
	if fmt.Sprint(sizes) != "[1 5]" {
		t.Errorf("transaction sizes %v, want [1 5]", sizes)
	}
	if c := checks[1]; c.NPings != 5 || c.Status != model.StatusUp || c.HasConfirmationLink {
		t.Errorf("stored check: n_pings %d status %q confirm %v", c.NPings, c.Status, c.HasConfirmationLink)
	}
	var got []string
	for _, f := range flips {
		got = append(got, fmt.Sprintf("%d:%s>%s:%s", f.CheckID, f.OldStatus, f.NewStatus, f.Reason))
	}
	if want := "[2:new>up: 1:new>up: 1:up>down:fail 1:down>up:]"; fmt.Sprint(got) != want {
		t.Errorf("flips %v, want %s", got, want)
	}
	for i := 1; i < len(pings); i++ {
		if pings[i].Created.Before(pings[i-1].Created) {
			t.Errorf("ping %d created before ping %d", i, i-1)
		}
	}
}

func TestWriterFailedBatchFailsEveryRequest(t *testing.T) {
	boom := errors.New("disk full")
	m := newMemStore(1, 2)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	h := startWriter(t, m, WriterOptions{})

	first := h.submitAsync(t.Context(), 1, success)
	<-m.entered
	outs := []chan outcomeT{
		h.submitAsync(t.Context(), 1, success),
		h.submitAsync(t.Context(), 2, success),
		h.submitAsync(t.Context(), 999, success),
	}
	h.waitQueued(t, 3)
	m.mu.Lock()
	m.fail = boom
	m.mu.Unlock()
	close(m.hold)
	for i, ch := range append(outs, first) {
		if o := <-ch; !errors.Is(o.err, boom) {
			t.Errorf("request %d: err = %v, want %v", i, o.err, boom)
		}
	}
	_, _, checks, pings, _ := m.snapshot()
	if checks[1].NPings != 0 || checks[2].NPings != 0 || len(pings) != 0 {
		t.Errorf("a failed batch left state behind: %d, %d, %d pings", checks[1].NPings, checks[2].NPings, len(pings))
	}
}

func TestWriterCheckGone(t *testing.T) {
	m := newMemStore(1)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	h := startWriter(t, m, WriterOptions{})
	first := h.submitAsync(t.Context(), 1, success)
	<-m.entered
	gone := h.submitAsync(t.Context(), 404, success)
	ok := h.submitAsync(t.Context(), 1, success)
	h.waitQueued(t, 2)
	close(m.hold)
	<-first
	if o := <-gone; !errors.Is(o.err, ErrCheckGone) || !errors.Is(o.res.Err, ErrCheckGone) {
		t.Errorf("missing check: err %v, result err %v, want ErrCheckGone", o.err, o.res.Err)
	}
	if o := <-ok; o.err != nil || o.res.Ping.N != 2 {
		t.Errorf("its batch neighbour: err %v, n %d", o.err, o.res.Ping.N)
	}
}

func TestWriterContextCancellation(t *testing.T) {
	m := newMemStore(1)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	h := startWriter(t, m, WriterOptions{})

	// Cancelled while its batch runs: written, but the client hears ctx's error.
	runningCtx, cancelRunning := context.WithCancel(t.Context())
	running := h.submitAsync(runningCtx, 1, Event{Action: ActionStart})
	<-m.entered
	cancelRunning()
	if o := <-running; !errors.Is(o.err, context.Canceled) {
		t.Errorf("cancelled in flight: err %v, want context.Canceled", o.err)
	}

	// Cancelled while queued: never written.
	queuedCtx, cancelQueued := context.WithCancel(t.Context())
	queued := h.submitAsync(queuedCtx, 1, Event{Action: ActionFail})
	h.waitQueued(t, 1)
	cancelQueued()
	if o := <-queued; !errors.Is(o.err, context.Canceled) {
		t.Errorf("cancelled while queued: err %v, want context.Canceled", o.err)
	}
	close(m.hold)

	res, err := h.w.Submit(t.Context(), Request{CheckID: 1, Event: success})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ping.N != 2 || res.Check.Status != model.StatusUp {
		t.Errorf("after the cancelled ones: n %d status %q, want 2 and up (the queued fail was dropped)", res.Ping.N, res.Check.Status)
	}
	_, _, _, pings, _ := m.snapshot()
	if len(pings) != 2 || pings[0].Kind != model.PingStart {
		t.Errorf("stored pings %+v, want the start and the success", pings)
	}

	// A Submit whose ctx is already done never queues.
	done, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.w.Submit(done, Request{CheckID: 1, Event: success}); !errors.Is(err, context.Canceled) {
		t.Errorf("Submit with a done ctx: %v", err)
	}
}

func TestWriterDrainsOnShutdown(t *testing.T) {
	m := newMemStore(1, 2)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	var committed []Result
	w := NewWriter(m, WriterOptions{
		Now:        func() time.Time { return now },
		AlertAfter: simpleAlertAfter,
		MaxBatch:   2,
		OnCommit:   func(rs []Result) { committed = append(committed, rs...) },
	})
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- w.Run(ctx) }()
	h := &harness{w: w}

	outs := []chan outcomeT{h.submitAsync(t.Context(), 1, success)}
	<-m.entered
	for i := range 5 {
		outs = append(outs, h.submitAsync(t.Context(), int64(1+i%2), success))
	}
	h.waitQueued(t, 5)
	cancel() // Run must still write all six, with a live transaction context
	close(m.hold)
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i, ch := range outs {
		if o := <-ch; o.err != nil {
			t.Errorf("request %d: %v", i, o.err)
		}
	}
	txs, _, checks, _, _ := m.snapshot()
	if checks[1].NPings != 4 || checks[2].NPings != 2 || txs != 4 {
		t.Errorf("n_pings %d and %d in %d transactions, want 4, 2, 4", checks[1].NPings, checks[2].NPings, txs)
	}
	if len(committed) != 6 {
		t.Errorf("OnCommit saw %d results, want 6", len(committed))
	}
	if _, err := w.Submit(t.Context(), Request{CheckID: 1, Event: success}); !errors.Is(err, ErrWriterClosed) {
		t.Errorf("Submit after shutdown: %v, want ErrWriterClosed", err)
	}
}

func TestWriterClockStepsBack(t *testing.T) {
	m := newMemStore(1)
	times := []time.Time{now, now.Add(-time.Minute), now.Add(time.Second)}
	i := 0
	clock := func() time.Time { tm := times[i]; i++; return tm } // only Run calls it
	h := startWriter(t, m, WriterOptions{Now: clock})
	var got []time.Time
	for range times {
		res, err := h.w.Submit(t.Context(), Request{CheckID: 1, Event: success})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Ping.Created)
	}
	want := []time.Time{now, now, now.Add(time.Second)}
	for k := range want {
		if !got[k].Equal(want[k]) {
			t.Errorf("ping %d created %v, want %v", k, got[k], want[k])
		}
	}
}

func TestWriterRejectsBadInput(t *testing.T) {
	w := NewWriter(newMemStore(1), WriterOptions{})
	if err := w.Run(t.Context()); err == nil {
		t.Error("Run without AlertAfter succeeded")
	}
	h := startWriter(t, newMemStore(1), WriterOptions{})
	// A committed ping proves the first Run is under way.
	if _, err := h.w.Submit(t.Context(), Request{CheckID: 1, Event: success}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.w.Submit(t.Context(), Request{CheckID: 1, Event: Event{Action: "pause"}}); !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("unknown action: %v, want ErrInvalidEvent", err)
	}
	if err := h.w.Run(t.Context()); err == nil {
		t.Error("second Run succeeded")
	}
}

// BenchmarkWriter measures the writer's own overhead: 64 concurrent
// submitters against the in-memory committer.
func BenchmarkWriter(b *testing.B) {
	m := newMemStore(1, 2, 3, 4, 5, 6, 7, 8)
	w := NewWriter(m, WriterOptions{AlertAfter: simpleAlertAfter})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	b.SetParallelism(32) // × GOMAXPROCS submitters
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		ev := Event{Action: ActionSuccess, Body: []byte("ok"), Method: "POST"}
		id := int64(1)
		for pb.Next() {
			if _, err := w.Submit(ctx, Request{CheckID: id, Event: ev}); err != nil {
				b.Error(err)
				return
			}
			id = id%8 + 1
		}
	})
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	txs, _, _, pings, _ := m.snapshot()
	b.ReportMetric(float64(len(pings))/float64(txs), "pings/tx")
}
