package alerts

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/store"
)

// OutboxStore is the part of the store the dispatcher uses.
type OutboxStore interface {
	ClaimNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Claim, error)
	RecordResults(ctx context.Context, results []store.SendResult) (int, error)
	NextNotificationTry(ctx context.Context) (*time.Time, error)
	LastPingBefore(ctx context.Context, checkID int64, t time.Time) (*model.Ping, error)
	DownSince(ctx context.Context, checkID int64, t time.Time) (*time.Time, error)
}

// DispatcherOptions configure a Dispatcher. Store and Transports are required.
type DispatcherOptions struct {
	Store      OutboxStore
	Transports notify.Registry
	Clock      Clock
	// Workers is how many notifications are sent at once; 32 when zero.
	Workers int
	// Lease is how long a claim lasts: a claimer that has not recorded a
	// result by then is presumed dead and the row is claimed again. It must
	// be longer than any transport's whole send (a webhook tries up to 3
	// times with a 30 s timeout each); 2 minutes when zero.
	Lease time.Duration
	// Poll bounds every sleep (rows queued by other instances); 2 s when zero.
	Poll time.Duration
	// Retry is the backoff after the first failed attempt, doubled after
	// each further one up to MaxRetryDelay; 10 s and 10 min when zero.
	Retry, MaxRetryDelay time.Duration
	// MaxAttempts bounds the tries of one notification; 8 when zero. With
	// the defaults the last try is about 20 minutes after the first.
	MaxAttempts int
	// Drain is how long in-flight sends may finish after Run's context
	// ends; 10 s when zero. Negative abandons them at once, as a crash
	// would (their rows are sent again once their lease runs out).
	Drain time.Duration
	// SiteRoot and SiteName go into every message; CheckJSON renders a
	// check as API v3 JSON for the webhook's $JSON (nil leaves it empty).
	SiteRoot, SiteName string
	CheckJSON          func(ctx context.Context, c *model.Check) []byte
	Log                *slog.Logger
	// OnResult, when set, sees every recorded outcome (tests, metrics).
	OnResult func(store.SendResult)
}

// Dispatcher delivers the outbox.
type Dispatcher struct {
	o    DispatcherOptions
	wake chan struct{}
	mu   sync.Mutex
	idle chan struct{}
}

// NewDispatcher returns a dispatcher; call Run to start it.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	if o.Clock == nil {
		o.Clock = RealClock{}
	}
	if o.Workers <= 0 {
		o.Workers = 32
	}
	if o.Lease <= 0 {
		o.Lease = 2 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 10 * time.Second
	}
	if o.MaxRetryDelay <= 0 {
		o.MaxRetryDelay = 10 * time.Minute
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Drain == 0 {
		o.Drain = 10 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{o: o, wake: make(chan struct{}, 1), idle: make(chan struct{})}
}

// Wake makes a sleeping dispatcher claim now (a flip was just committed).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Idle returns a channel closed the next time the dispatcher goes to sleep
// (sends may still be in flight).
func (d *Dispatcher) Idle() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.idle
}

// Run claims and sends notifications until ctx ends, then lets in-flight
// sends finish for up to Drain.
func (d *Dispatcher) Run(ctx context.Context) error {
	sendCtx, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	slots := make(chan struct{}, d.o.Workers)
	for range d.o.Workers {
		slots <- struct{}{}
	}
	jobs := make(chan store.Claim)
	results := make(chan store.SendResult, d.o.Workers)
	var workers sync.WaitGroup
	for range d.o.Workers {
		workers.Add(1)
		go func() {
			defer workers.Done()
			for cl := range jobs {
				if r, ok := d.send(sendCtx, cl); ok {
					results <- r
				}
				slots <- struct{}{}
			}
		}()
	}
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record(results)
	}()

	defer func() {
		close(jobs)
		done := make(chan struct{})
		go func() { workers.Wait(); close(done) }()
		if d.o.Drain < 0 {
			abandon()
		} else {
			select {
			case <-done:
			case <-time.After(d.o.Drain):
				abandon()
			}
		}
		<-done
		close(results)
		<-recorded
	}()

	for {
		// Wait for a free worker, then take as many rows as there are free
		// workers: a claim never holds rows nobody is about to send.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-slots:
		}
		free := 1
	more:
		for {
			select {
			case <-slots:
				free++
			default:
				break more
			}
		}
		claims, err := d.o.Store.ClaimNotifications(ctx, d.o.Clock.Now(), d.o.Lease, free)
		if err != nil && ctx.Err() == nil {
			d.o.Log.Error("dispatcher: claim failed", "err", err)
		}
		for _, cl := range claims {
			jobs <- cl
		}
		for range free - len(claims) {
			slots <- struct{}{}
		}
		if len(claims) == free {
			continue
		}
		if err := d.sleep(ctx); err != nil {
			return err
		}
	}
}

// sleep waits until the next row is due, a wake-up, or Poll.
func (d *Dispatcher) sleep(ctx context.Context) error {
	wait := d.o.Poll
	now := d.o.Clock.Now()
	if next, err := d.o.Store.NextNotificationTry(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.o.Log.Error("dispatcher: next try", "err", err)
	} else if next != nil {
		wait = min(wait, max(next.Sub(now), 0))
	}
	if wait == 0 {
		// Rows are due but the claim got none: another instance's claim
		// transaction holds them for a moment. Claim again shortly. This
		// pause is real time on purpose: it backs off from lock contention
		// and is not part of any schedule.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
			return nil
		}
	}
	timer := d.o.Clock.Until(now.Add(wait))
	d.mu.Lock()
	close(d.idle)
	d.idle = make(chan struct{})
	d.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer:
	case <-d.wake:
	}
	return nil
}

// send delivers one claimed row. ok is false when the send was abandoned
// (shutdown): nothing is recorded, and the row's lease brings it back.
func (d *Dispatcher) send(ctx context.Context, cl store.Claim) (store.SendResult, bool) {
	n := cl.Notification
	start := d.o.Clock.Now()
	res := store.SendResult{NotificationID: n.ID, Attempt: n.Attempts, ChannelID: cl.Channel.ID, Started: start}
	if cl.Channel.Disabled {
		// Disabled (an unsubscribe, a bounce, a permanent error of another
		// row) after this row was queued: upstream would not have selected
		// the channel, so nothing is sent and the channel's last error, which
		// says why it was disabled, stays as it is.
		res.Error = "Channel is disabled"
		res.NotSent = true
		return res, true
	}
	err := d.deliver(ctx, cl, start)
	if ctx.Err() != nil {
		return res, false
	}
	res.Duration = d.o.Clock.Now().Sub(start)
	if err == nil {
		return res, true
	}
	res.Error = notify.ErrorText(err)
	if res.Error == "" {
		res.Error = "Failed"
	}
	res.Permanent = notify.IsPermanent(err)
	if !notify.IsFinal(err) && n.Attempts < d.o.MaxAttempts {
		delay := d.o.Retry << min(n.Attempts-1, 20)
		if delay <= 0 || delay > d.o.MaxRetryDelay {
			delay = d.o.MaxRetryDelay
		}
		at := start.Add(delay)
		res.RetryAt = &at
	}
	d.o.Log.Warn("notification failed", "channel", cl.Channel.Code, "kind", cl.Channel.Kind, "check", cl.Check.Code,
		"attempt", n.Attempts, "err", res.Error, "retry_at", res.RetryAt)
	return res, true
}

func (d *Dispatcher) deliver(ctx context.Context, cl store.Claim, now time.Time) error {
	t, err := d.o.Transports.Lookup(cl.Channel.Kind)
	if err != nil {
		return err
	}
	flipAt := cl.Flip.Created
	if flipAt.IsZero() {
		flipAt = now
	}
	last, err := d.o.Store.LastPingBefore(ctx, cl.Check.ID, flipAt)
	if err != nil {
		return err
	}
	flip := cl.Flip
	if flip.ID == 0 {
		flip = model.Flip{CheckID: cl.Check.ID, Created: cl.Notification.Created, NewStatus: cl.Notification.CheckStatus}
	}
	m := &notify.Message{
		Code:        cl.Notification.Code,
		Check:       cl.Check,
		Channel:     cl.Channel,
		Status:      cl.Notification.CheckStatus,
		Flip:        flip,
		LastPing:    last,
		ProjectName: cl.ProjectName,
		CheckURL:    CloakedURL(d.o.SiteRoot, &cl.Check),
		SiteRoot:    d.o.SiteRoot,
		SiteName:    d.o.SiteName,
		Now:         now,
	}
	if d.o.CheckJSON != nil {
		m.CheckJSON = d.o.CheckJSON(ctx, &cl.Check)
	}
	if m.Status == model.StatusUp {
		since, err := d.o.Store.DownSince(ctx, cl.Check.ID, flip.Created)
		if err != nil {
			return err
		}
		if since != nil {
			m.Downtime = flip.Created.Sub(*since)
		}
	}
	return t.Send(ctx, m)
}

// CloakedURL is upstream's Check.cloaked_url, the link alerts carry:
// /cloaked/<unique key>/ leads to the check without showing its UUID, which
// is its ping URL's secret, to everyone an alert is forwarded to.
func CloakedURL(siteRoot string, c *model.Check) string {
	return strings.TrimRight(siteRoot, "/") + "/cloaked/" + c.UniqueKey() + "/"
}

// record writes results in batches: whatever arrived while the previous
// batch was being committed goes into the next transaction.
func (d *Dispatcher) record(results <-chan store.SendResult) {
	batch := make([]store.SendResult, 0, 256)
	for r := range results {
		batch = append(batch[:0], r)
	gather:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-results:
				if !ok {
					break gather
				}
				batch = append(batch, r)
			default:
				break gather
			}
		}
		// Results are written even during shutdown: a send that happened
		// must not be repeated just because the process is stopping.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		stale, err := d.o.Store.RecordResults(ctx, batch)
		cancel()
		if err != nil {
			// The rows stay claimed; their lease brings them back and they
			// are sent again (at-least-once).
			d.o.Log.Error("dispatcher: recording results failed", "count", len(batch), "err", err)
			continue
		}
		if stale > 0 {
			d.o.Log.Warn("dispatcher: results for rows claimed again meanwhile", "count", stale)
		}
		if d.o.OnResult != nil {
			for _, r := range batch {
				d.o.OnResult(r)
			}
		}
	}
}
