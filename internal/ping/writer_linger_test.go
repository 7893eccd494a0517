package ping

import (
	"fmt"
	"testing"
	"time"
)

// newLingerHarness starts a writer that, once lingering, only stops for a
// full target (or shutdown): quiet gaps and Linger are an hour.
func newLingerHarness(t *testing.T, m *memStore) *harness {
	t.Helper()
	h := startWriter(t, m, WriterOptions{Linger: time.Hour})
	h.w.quiet = time.Hour
	return h
}

func mustSucceed(t *testing.T, chs ...chan outcomeT) {
	t.Helper()
	for _, ch := range chs {
		if o := <-ch; o.err != nil {
			t.Fatalf("Submit: %v", o.err)
		}
	}
}

func TestWriterNoLingerUnderLightLoad(t *testing.T) {
	// One client pinging in turn: every batch has one ping, so the writer
	// never waits (an hour's linger would time the test out).
	m := newMemStore(1)
	h := newLingerHarness(t, m)
	for range 5 {
		mustSucceed(t, h.submitAsync(t.Context(), 1, success))
	}
	if _, sizes, _, _, _ := m.snapshot(); fmt.Sprint(sizes) != "[1 1 1 1 1]" {
		t.Errorf("transaction sizes %v, want five of one ping", sizes)
	}
}

func TestWriterLingersForAnsweredClients(t *testing.T) {
	m := newMemStore(1, 2, 3)
	m.hold, m.entered = make(chan struct{}), make(chan struct{})
	h := newLingerHarness(t, m)

	first := h.submitAsync(t.Context(), 1, success)
	<-m.entered
	var outs []chan outcomeT
	for id := range int64(3) {
		outs = append(outs, h.submitAsync(t.Context(), id+1, success))
	}
	h.waitQueued(t, 3)
	close(m.hold)
	mustSucceed(t, append(outs, first)...)

	// The batch of three was answered: the writer now waits for three
	// requests, however slowly they come.
	outs = outs[:0]
	for id := range int64(3) {
		time.Sleep(20 * time.Millisecond)
		outs = append(outs, h.submitAsync(t.Context(), id+1, success))
	}
	mustSucceed(t, outs...)
	if _, sizes, _, _, _ := m.snapshot(); fmt.Sprint(sizes) != "[1 3 3]" {
		t.Errorf("transaction sizes %v, want [1 3 3]", sizes)
	}

	// Shutdown ends a linger: the one queued request is still written.
	last := h.submitAsync(t.Context(), 2, success)
	h.waitQueued(t, 1)
	h.stop()
	mustSucceed(t, last)
	_, sizes, checks, _, _ := m.snapshot()
	if fmt.Sprint(sizes) != "[1 3 3 1]" || checks[2].NPings != 3 {
		t.Errorf("after shutdown: transaction sizes %v, check 2 n_pings %d; want [1 3 3 1] and 3", sizes, checks[2].NPings)
	}
}
