package alerts_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

// hangGuard bounds every wait in these tests. Time in them is the fake
// clock's; the guard only turns a bug into a failure instead of a hang.
const hangGuard = 20 * time.Second

var epoch = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

type world struct {
	st      *store.Store
	clock   *alerts.FakeClock
	project model.Project
}

func newWorld(t testing.TB, engine string) *world {
	t.Helper()
	st := storetest.Open(t, engine)
	ctx := context.Background()
	u := model.User{Email: uuid.NewString() + "@example.org", Created: epoch, PingLogLimit: 100, CheckLimit: 1000}
	if err := st.CreateUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	p := model.Project{Code: uuid.NewString(), Name: "Ops", OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString(), Created: epoch}
	if err := st.CreateProject(ctx, &p); err != nil {
		t.Fatal(err)
	}
	return &world{st: st, clock: alerts.NewFakeClock(epoch), project: p}
}

// check creates a check with a one-minute period and one minute of grace.
func (w *world) check(t testing.TB, name string) model.Check {
	t.Helper()
	c := model.NewCheck(w.project.ID, w.clock.Now())
	c.Name = name
	c.Timeout, c.Grace = time.Minute, time.Minute
	if err := w.st.CreateCheck(context.Background(), &c, false); err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) channel(t testing.TB, kind, value string, checks ...model.Check) model.Channel {
	t.Helper()
	ctx := context.Background()
	ch := model.Channel{Code: uuid.NewString(), ProjectID: w.project.ID, Kind: kind, Value: value, EmailVerified: true, Created: epoch}
	if err := w.st.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if err := w.st.SetCheckChannels(ctx, c.ID, []int64{ch.ID}); err != nil {
			t.Fatal(err)
		}
	}
	return ch
}

// recorder is a transport that remembers what it was asked to send. The
// engine's tests are about what gets sent when; the transports themselves
// are tested over real sockets in their own packages and in e2e_test.go.
type recorder struct {
	mu   sync.Mutex
	msgs []notify.Message
	got  chan notify.Message
	fail func(m *notify.Message) error
}

func newRecorder() *recorder { return &recorder{got: make(chan notify.Message, 10000)} }

func (r *recorder) Send(ctx context.Context, m *notify.Message) error {
	if r.fail != nil {
		if err := r.fail(m); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, *m)
	r.mu.Unlock()
	r.got <- *m
	return nil
}

func waitMsg(t testing.TB, r *recorder) notify.Message {
	t.Helper()
	select {
	case m := <-r.got:
		return m
	case <-time.After(hangGuard):
		t.Fatal("no notification was sent")
		return notify.Message{}
	}
}

// recorded waits for the next recorded outcome: until then the row is
// still claimed, and moving the clock past its lease would send it again.
func (r *running) recorded(t testing.TB) store.SendResult {
	t.Helper()
	select {
	case res := <-r.results:
		return res
	case <-time.After(hangGuard):
		t.Fatal("no result was recorded")
		return store.SendResult{}
	}
}

func waitClosed(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

type running struct {
	// results receives every recorded outcome.
	results    chan store.SendResult
	engine     *alerts.Engine
	dispatcher *alerts.Dispatcher
	writer     *ping.Writer
	cancel     context.CancelFunc
	done       sync.WaitGroup
}

func (w *world) start(t testing.TB, transports notify.Registry, tweak func(*alerts.DispatcherOptions)) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, results: make(chan store.SendResult, 10000)}
	do := alerts.DispatcherOptions{Store: w.st, Transports: transports, Clock: w.clock, Workers: 4, SiteRoot: "https://overdue.example",
		OnResult: func(res store.SendResult) { r.results <- res }}
	if tweak != nil {
		tweak(&do)
	}
	r.dispatcher = alerts.NewDispatcher(do)
	cache := schedule.NewCache(100)
	r.engine = alerts.NewEngine(alerts.EngineOptions{Store: w.st, Cache: cache, Clock: w.clock,
		OnFlips: func([]model.Flip) { r.dispatcher.Wake() }})
	r.writer = ping.NewWriter(w.st, ping.WriterOptions{Now: w.clock.Now, AlertAfter: ping.ScheduleAlertAfter(cache, nil),
		OnCommit: alerts.PingHook(r.engine, r.dispatcher)})
	engineIdle, dispatcherIdle := r.engine.Idle(), r.dispatcher.Idle()
	for _, run := range []func(context.Context) error{r.engine.Run, r.dispatcher.Run, r.writer.Run} {
		r.done.Add(1)
		go func() {
			defer r.done.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("run: %v", err)
			}
		}()
	}
	waitClosed(t, engineIdle, "the engine's first sleep")
	waitClosed(t, dispatcherIdle, "the dispatcher's first sleep")
	t.Cleanup(r.stop)
	return r
}

func (r *running) stop() {
	r.cancel()
	r.done.Wait()
}

func (r *running) ping(t testing.TB, c model.Check, action ping.Action) ping.Result {
	t.Helper()
	res, err := r.writer.Submit(context.Background(), ping.Request{CheckID: c.ID, Event: ping.Event{Action: action, Method: "POST", Scheme: "https", RemoteAddr: "192.0.2.7", UA: "curl/8", Body: []byte("backup done")}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// End to end with a fake clock: a check with a one-minute period is pinged,
// time passes its deadline, the engine writes exactly one flip at the
// deadline, and the dispatcher sends the notification.
func TestGoesDownOnTime(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			w := newWorld(t, engine)
			c := w.check(t, "nightly backup")
			w.channel(t, "webhook", `{"url_down": "https://hooks.example/down", "url_up": "https://hooks.example/up"}`, c)
			rec := newRecorder()
			r := w.start(t, notify.Registry{"webhook": rec}, nil)

			pinged := w.clock.Now()
			res := r.ping(t, c, ping.ActionSuccess)
			if res.Flip == nil || res.Flip.NewStatus != model.StatusUp {
				t.Fatalf("first ping: flip %+v, want new→up", res.Flip)
			}
			deadline := pinged.Add(2 * time.Minute)

			// Just before the deadline nothing happens.
			idle := r.engine.Idle()
			w.clock.Set(deadline.Add(-time.Second))
			waitClosed(t, idle, "the engine to look before the deadline")
			if got, _ := w.st.CheckByID(context.Background(), c.ID); got.Status != model.StatusUp {
				t.Fatalf("status before the deadline = %s", got.Status)
			}

			idle = r.engine.Idle()
			w.clock.Set(deadline.Add(time.Second))
			waitClosed(t, idle, "the engine's pass after the deadline")
			m := waitMsg(t, rec)
			r.recorded(t)
			if m.Status != model.StatusDown || m.Check.Code != c.Code || m.Flip.Reason != "timeout" || !m.Flip.Created.Equal(deadline) {
				t.Errorf("notification: status %s check %s flip %+v; want down for %s at %v", m.Status, m.Check.Code, m.Flip, c.Code, deadline)
			}
			if m.LastPing == nil || string(m.LastPing.Body) != "backup done" {
				t.Errorf("notification's last ping = %+v, want the ping with its body", m.LastPing)
			}
			if m.CheckURL != "https://overdue.example/cloaked/"+c.UniqueKey()+"/" || m.ProjectName != "Ops" {
				t.Errorf("CheckURL %q ProjectName %q", m.CheckURL, m.ProjectName)
			}
			flips, _ := w.st.ListFlips(context.Background(), c.ID)
			if len(flips) != 2 || flips[0].NewStatus != model.StatusDown {
				t.Fatalf("flips = %+v, want new→up then up→down", flips)
			}

			// Recovery: the next ping notifies "up" at once (PingHook wakes
			// the dispatcher; no time passes).
			res = r.ping(t, c, ping.ActionSuccess)
			if res.Flip == nil || res.Flip.OldStatus != model.StatusDown {
				t.Fatalf("recovery ping flip = %+v", res.Flip)
			}
			if m := waitMsg(t, rec); m.Status != model.StatusUp || m.Downtime != w.clock.Now().Sub(deadline) {
				t.Errorf("recovery notification: status %s downtime %v; want up after %v", m.Status, m.Downtime, w.clock.Now().Sub(deadline))
			}
			r.recorded(t)

			// A /fail notifies "down" at once, reason "fail".
			r.ping(t, c, ping.ActionFail)
			if m := waitMsg(t, rec); m.Status != model.StatusDown || m.Flip.Reason != "fail" {
				t.Errorf("fail notification = %s reason %q", m.Status, m.Flip.Reason)
			}
			r.recorded(t)

			// Much later, still exactly these four messages (new→up notifies
			// nobody) and one notification row per flip.
			idle = r.dispatcher.Idle()
			w.clock.Advance(time.Hour)
			waitClosed(t, idle, "the dispatcher to settle")
			rec.mu.Lock()
			n := len(rec.msgs)
			rec.mu.Unlock()
			if n != 3 {
				t.Errorf("%d notifications sent, want 3 (down, up, down)", n)
			}
			ns, _ := w.st.ListNotifications(context.Background(), c.ID)
			for _, row := range ns {
				if row.Status != store.NotifySent || row.Attempts != 1 {
					t.Errorf("notification row %+v, want sent after 1 attempt", row)
				}
			}
		})
	}
}

// A ping that arrives while the engine sleeps until a later deadline moves
// the earliest deadline forward: the engine re-plans at once (Hint), so a
// check with a short period is not detected late.
func TestHintWakesForEarlierDeadline(t *testing.T) {
	w := newWorld(t, "sqlite")
	fast := w.check(t, "fast")
	w.channel(t, "webhook", `{"url_down": "https://hooks.example/down"}`, fast)
	rec := newRecorder()
	// With a day-long poll, only the hint can make the engine look in time.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cache := schedule.NewCache(10)
	d := alerts.NewDispatcher(alerts.DispatcherOptions{Store: w.st, Transports: notify.Registry{"webhook": rec}, Clock: w.clock, Poll: 24 * time.Hour})
	e := alerts.NewEngine(alerts.EngineOptions{Store: w.st, Cache: cache, Clock: w.clock, Poll: 24 * time.Hour, OnFlips: func([]model.Flip) { d.Wake() }})
	wr := ping.NewWriter(w.st, ping.WriterOptions{Now: w.clock.Now, AlertAfter: ping.ScheduleAlertAfter(cache, nil), OnCommit: alerts.PingHook(e, d)})
	idle := e.Idle()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for _, run := range []func(context.Context) error{e.Run, d.Run, wr.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); _ = run(ctx) }()
	}
	waitClosed(t, idle, "the engine's first sleep (nothing due: sleeps for Poll)")

	idle = e.Idle() // before the ping: the hint may wake the engine at once
	if _, err := wr.Submit(context.Background(), ping.Request{CheckID: fast.ID, Event: ping.Event{Action: ping.ActionSuccess, Method: "GET"}}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, idle, "the engine to re-plan after the hint")
	idle = e.Idle()
	w.clock.Advance(2*time.Minute + time.Second)
	waitClosed(t, idle, "the engine's pass at the new deadline")
	if m := waitMsg(t, rec); m.Check.Code != fast.Code || m.Status != model.StatusDown {
		t.Errorf("got %s for %s, want down for the fast check", m.Status, m.Check.Name)
	}
}

// Failed sends are retried with backoff until they succeed; the channel
// shows the last error meanwhile.
func TestRetriesWithBackoff(t *testing.T) {
	w := newWorld(t, "sqlite")
	c := w.check(t, "flaky target")
	ch := w.channel(t, "webhook", `{"url_down": "https://hooks.example/down"}`, c)
	rec := newRecorder()
	var mu sync.Mutex
	attempts := 0
	rec.fail = func(*notify.Message) error {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts <= 2 {
			return notify.Fail("Received status code 503")
		}
		return nil
	}
	r := w.start(t, notify.Registry{"webhook": rec}, func(o *alerts.DispatcherOptions) { o.Retry = 10 * time.Second })
	r.ping(t, c, ping.ActionFail)
	first := r.recorded(t)
	if first.Error != "Received status code 503" || first.RetryAt == nil || !first.RetryAt.Equal(first.Started.Add(10*time.Second)) {
		t.Fatalf("first attempt result %+v, want a retry 10 s later", first)
	}
	chans, _ := w.st.ListChannels(context.Background(), w.project.ID)
	if chans[0].ID != ch.ID || chans[0].LastError != "Received status code 503" {
		t.Errorf("channel last_error = %q", chans[0].LastError)
	}
	// Whether the dispatcher is already asleep or not, moving the clock
	// past the retry time makes the row due.
	w.clock.Advance(10 * time.Second)
	second := r.recorded(t)
	if second.Error == "" || second.RetryAt == nil || !second.RetryAt.Equal(second.Started.Add(20*time.Second)) {
		t.Fatalf("second attempt %+v, want a retry 20 s later (doubled)", second)
	}
	w.clock.Advance(20 * time.Second)
	if m := waitMsg(t, rec); m.Status != model.StatusDown {
		t.Errorf("delivered %s", m.Status)
	}
	if third := r.recorded(t); third.Error != "" {
		t.Errorf("third attempt %+v, want success", third)
	}
	chans, _ = w.st.ListChannels(context.Background(), w.project.ID)
	if chans[0].LastError != "" {
		t.Errorf("last_error after success = %q, want cleared", chans[0].LastError)
	}
}

// Permanent errors are not retried and disable the channel; a channel that
// is disabled gets no further notifications enqueued.
func TestPermanentErrorDisablesChannel(t *testing.T) {
	w := newWorld(t, "sqlite")
	c := w.check(t, "gone")
	w.channel(t, "webhook", `{"url_down": "https://hooks.example/down", "url_up": "https://hooks.example/up"}`, c)
	rec := newRecorder()
	rec.fail = func(*notify.Message) error { return notify.FailPermanent("Received status code 404") }
	r := w.start(t, notify.Registry{"webhook": rec}, nil)
	r.ping(t, c, ping.ActionFail)
	if res := r.recorded(t); !res.Permanent || res.RetryAt != nil {
		t.Fatalf("result %+v, want permanent without retry", res)
	}
	chans, _ := w.st.ListChannels(context.Background(), w.project.ID)
	if !chans[0].Disabled || chans[0].LastError != "Received status code 404" {
		t.Errorf("channel after a permanent error: disabled %v, last_error %q", chans[0].Disabled, chans[0].LastError)
	}
	r.ping(t, c, ping.ActionSuccess)
	ns, _ := w.st.ListNotifications(context.Background(), c.ID)
	if len(ns) != 1 || ns[0].Status != store.NotifyFailed {
		t.Errorf("notifications %+v, want only the first one, failed", ns)
	}
}

// Going down by time is decided by the schedule engine: a cron check whose
// stored alert_after has passed but whose status is still "grace" because
// of its time zone is not flipped, and alert_after is moved instead.
func TestCronCheckEvaluatedBySchedule(t *testing.T) {
	w := newWorld(t, "sqlite")
	ctx := context.Background()
	c := model.NewCheck(w.project.ID, epoch)
	c.Kind, c.Schedule, c.TZ, c.Grace = model.KindCron, "0 3 * * *", "Europe/Riga", 30*time.Minute
	last := time.Date(2026, 11, 24, 1, 0, 30, 0, time.UTC) // 03:00:30 in Riga
	c.Status, c.LastPing = model.StatusUp, &last
	stale := epoch.Add(-time.Hour) // an out-of-date alert_after, as after a schedule edit by another node
	c.AlertAfter = &stale
	if err := w.st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	e := alerts.NewEngine(alerts.EngineOptions{Store: w.st, Clock: w.clock})
	flips, err := e.Tick(ctx)
	if err != nil || len(flips) != 0 {
		t.Fatalf("Tick: flips %+v err %v, want none", flips, err)
	}
	got, _ := w.st.CheckByID(ctx, c.ID)
	want := time.Date(2026, 11, 25, 1, 30, 0, 0, time.UTC) // next 03:00 Riga + 30 min grace
	if got.Status != model.StatusUp || got.AlertAfter == nil || !got.AlertAfter.Equal(want) {
		t.Errorf("status %s alert_after %v, want up, %v", got.Status, got.AlertAfter, want)
	}
	w.clock.Set(want.Add(time.Millisecond))
	flips, err = e.Tick(ctx)
	if err != nil || len(flips) != 1 || !flips[0].Created.Equal(want) {
		t.Fatalf("Tick after the deadline: %+v %v, want one flip at %v", flips, err, want)
	}
}

// A check whose stored schedule no longer parses is left alone for an hour
// instead of being selected again and again.
func TestBrokenScheduleBacksOff(t *testing.T) {
	w := newWorld(t, "sqlite")
	ctx := context.Background()
	c := model.NewCheck(w.project.ID, epoch)
	c.Kind, c.Schedule, c.Status = model.KindCron, "not a cron", model.StatusUp
	due := epoch.Add(-time.Minute)
	c.AlertAfter = &due
	if err := w.st.CreateCheck(ctx, &c, false); err != nil {
		t.Fatal(err)
	}
	e := alerts.NewEngine(alerts.EngineOptions{Store: w.st, Clock: w.clock})
	if _, err := e.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := w.st.CheckByID(ctx, c.ID)
	if got.Status != model.StatusUp || got.AlertAfter == nil || !got.AlertAfter.Equal(epoch.Add(time.Hour)) {
		t.Errorf("status %s alert_after %v, want up and an hour from now", got.Status, got.AlertAfter)
	}
}
