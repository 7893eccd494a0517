package ping

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/overdue/overdue/internal/model"
)

type pruneCall struct {
	id   int64
	keep int
}

type fakePruner struct {
	mu    sync.Mutex
	calls []pruneCall
	done  chan struct{} // one send per call
	err   error
}

func (f *fakePruner) PrunePings(_ context.Context, id int64, keep int) error {
	f.mu.Lock()
	f.calls = append(f.calls, pruneCall{id, keep})
	f.mu.Unlock()
	f.done <- struct{}{}
	return f.err
}

func results(pairs ...int64) []Result {
	var rs []Result
	for i := 0; i < len(pairs); i += 2 {
		rs = append(rs, Result{Ping: model.Ping{CheckID: pairs[i], N: pairs[i+1]}})
	}
	return rs
}

func TestPrunerObserve(t *testing.T) {
	tests := []struct {
		name string
		rs   []Result
		want []int64
	}{
		{"no multiple of 100", results(1, 1, 1, 99, 2, 101), nil},
		{"crossings", results(1, 100, 2, 300, 3, 250), []int64{1, 2}},
		{"a batch stepping over 100", results(5, 98, 5, 99, 5, 100, 5, 101), []int64{5}},
		{"failed results are skipped", []Result{{Ping: model.Ping{CheckID: 9, N: 100}, Err: ErrCheckGone}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewPruner(&fakePruner{}, PrunerOptions{QueueSize: 8})
			p.Observe(tt.rs)
			var got []int64
			for len(p.queue) > 0 {
				got = append(got, <-p.queue)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("queued %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPrunerDropsWhenFull(t *testing.T) {
	p := NewPruner(&fakePruner{}, PrunerOptions{QueueSize: 2})
	// Nothing drains the queue: Observe must still return.
	p.Observe(results(1, 100, 2, 100, 3, 100, 4, 100))
	if len(p.queue) != 2 || <-p.queue != 1 || <-p.queue != 2 {
		t.Error("a full queue should keep the first two checks and drop the rest")
	}
}

func TestPrunerRun(t *testing.T) {
	fp := &fakePruner{done: make(chan struct{})}
	keepErr := errors.New("no such owner")
	p := NewPruner(fp, PrunerOptions{Keep: func(_ context.Context, id int64) (int, error) {
		switch id {
		case 3:
			return 0, keepErr
		case 4:
			return 0, nil
		}
		return int(id) * 1000, nil
	}})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error, 1)
	go func() { stopped <- p.Run(ctx) }()

	// Checks 3 (lookup fails) and 4 (nonsense limit) are skipped; the
	// worker carries on with the next ones.
	p.Observe(results(1, 100, 3, 100, 4, 100, 2, 200))
	<-fp.done
	<-fp.done
	cancel()
	if err := <-stopped; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if want := "[{1 1000} {2 2000}]"; fmt.Sprint(fp.calls) != want {
		t.Errorf("calls %v, want %s", fp.calls, want)
	}
	if err := p.prune(t.Context(), 3); !errors.Is(err, keepErr) {
		t.Errorf("prune with a failing Keep: %v", err)
	}
}

func TestPrunerDefaultKeepAndErrors(t *testing.T) {
	boom := errors.New("locked")
	fp := &fakePruner{done: make(chan struct{}, 1), err: boom}
	p := NewPruner(fp, PrunerOptions{})
	if err := p.prune(t.Context(), 7); !errors.Is(err, boom) {
		t.Errorf("prune: %v, want %v", err, boom)
	}
	if want := "[{7 100}]"; fmt.Sprint(fp.calls) != want {
		t.Errorf("calls %v, want %s", fp.calls, want)
	}
}
