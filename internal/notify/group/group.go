// Package group is the group channel kind: one channel that sends through
// other channels of the same project, each as if it had been notified
// itself (its own events, its own transport).
package group

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// MaxMembers bounds a group: its members are sent at once, and upstream's
// form offers only the project's own channels.
const MaxMembers = 100

// Integration is the group kind for the registry. Its stored value is
// upstream's: the members' UUIDs, comma-separated.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "group",
		Name: "Group",
		Fields: []notify.Field{{Name: "channels", Label: "Integrations", Type: notify.FieldChannels, Required: true,
			Help: "the project's integrations to notify, other groups excepted"}},
		FromForm: fromForm,
		ToForm:   func(value string) url.Values { return url.Values{"channels": Parse(value)} },
		Validate: validate,
		// Upstream queues both events for a group; each member then sends
		// the ones it wants.
		Events: notify.BothEvents,
		New: func(d notify.Deps) (notify.Transport, error) {
			return &Transport{Channels: d.Channels, Deliver: d.Send, Record: d.RecordMember, Log: d.Log, Budget: DefaultBudget}, nil
		},
		Example: "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e,9c2b0a5e-3f4d-4e6a-8b7c-1d2e3f4a5b6c",
	}
}

// fromForm reads the members: every "channels" value (a page posts one
// per checked box; the command line may give one comma-separated list),
// each a channel UUID, kept once each in the order given.
func fromForm(form url.Values) (string, error) {
	var codes []string
	for _, v := range form["channels"] {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			u, err := uuid.Parse(part)
			if err != nil || len(part) != 36 {
				return "", &notify.FieldError{Field: "channels", Msg: "must list integrations by their UUIDs"}
			}
			if code := u.String(); !contains(codes, code) {
				codes = append(codes, code)
			}
		}
	}
	switch {
	case len(codes) == 0:
		return "", &notify.FieldError{Field: "channels", Msg: "must name at least one integration"}
	case len(codes) > MaxMembers:
		return "", &notify.FieldError{Field: "channels", Msg: fmt.Sprintf("can name at most %d integrations", MaxMembers)}
	}
	return strings.Join(codes, ","), nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func validate(value string) error {
	v, err := fromForm(url.Values{"channels": {value}})
	if err == nil && v != value {
		err = &notify.FieldError{Field: "channels", Msg: "must be stored as lower-case UUIDs, comma-separated, each once"}
	}
	return err
}

// Parse is the members' codes; what is not a UUID is left out (upstream's
// lookup finds no channel for it).
func Parse(value string) []string {
	var out []string
	for _, part := range strings.Split(value, ",") {
		if u, err := uuid.Parse(strings.TrimSpace(part)); err == nil && !contains(out, u.String()) {
			out = append(out, u.String())
		}
	}
	return out
}

// DefaultBudget bounds a whole group send, shorter than the outbox's
// two-minute lease: a group whose members all hang must not outlive its
// claim and be sent twice.
const DefaultBudget = 100 * time.Second

// parallel is how many members are sent at once.
const parallel = 8

// Transport sends to the members.
type Transport struct {
	// Channels loads channels of a project by code (notify.Deps.Channels);
	// only the group's own project is asked.
	Channels func(ctx context.Context, projectID int64, codes []string) ([]model.Channel, error)
	// Deliver sends a message through its channel's kind, or answers
	// notify.ErrNoOp for an event the channel does not send
	// (notify.Deps.Send).
	Deliver func(ctx context.Context, m *notify.Message) error
	// Record keeps each member's outcome on the member
	// (notify.Deps.RecordMember); nil keeps none.
	Record func(ctx context.Context, r model.MemberSend) error
	// Log hears of outcomes that could not be recorded; nil for none.
	Log *slog.Logger
	// Now is the clock members' sends are timed by (time.Now when nil).
	Now func() time.Time
	// Budget bounds the whole send (DefaultBudget when 0).
	Budget time.Duration
}

// Send notifies every member that is not itself a group (no loops) and
// not disabled, at most parallel at a time. Failures are upstream's "k
// out of n notifications failed", final: trying the group again would
// notify the members that did get the message a second time. Each
// member's own outcome is recorded on it (Record), as upstream's
// Channel.notify does: a notification row with its error, and its last
// error, disabling it on a permanent one.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if t.Channels == nil || t.Deliver == nil {
		return notify.FailFinal("Group notifications need a database")
	}
	codes := Parse(m.Channel.Value)
	if len(codes) == 0 {
		return nil
	}
	loaded, err := t.Channels(ctx, m.Channel.ProjectID, codes)
	if err != nil {
		return notify.Fail("Could not load the group's integrations")
	}
	var members []model.Channel
	for _, ch := range loaded {
		// The loader is asked for this project only; the check keeps a
		// mistaken loader from reaching another project's channels.
		if ch.Kind != "group" && !ch.Disabled && ch.ProjectID == m.Channel.ProjectID && ch.Code != m.Channel.Code {
			members = append(members, ch)
		}
	}
	now := t.Now
	if now == nil {
		now = time.Now
	}
	budget := t.Budget
	if budget <= 0 {
		budget = DefaultBudget
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	var (
		mu     sync.Mutex
		failed int
		wg     sync.WaitGroup
		seats  = make(chan struct{}, parallel)
	)
	for _, ch := range members {
		wg.Add(1)
		seats <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-seats }()
			mm := *m
			mm.Channel = ch
			if !m.Test {
				// The member's own notification, which its message
				// names (Twilio's status callback reports to it).
				mm.Code = uuid.NewString()
			}
			start := now()
			err := t.Deliver(ctx, &mm)
			if errors.Is(err, notify.ErrNoOp) {
				return
			}
			if err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
			t.record(ctx, m, &mm, start, now().Sub(start), err)
		}()
	}
	wg.Wait()
	if failed > 0 {
		return notify.FailFinal(fmt.Sprintf("%d out of %d notifications failed", failed, len(members)))
	}
	return nil
}

// record keeps one member's outcome. The group's own message m says
// which check and flip; a test notification keeps only the member's
// channel outcome. A failure to record is logged: the send happened, and
// the group must not be sent again for it.
func (t *Transport) record(ctx context.Context, m, mm *notify.Message, start time.Time, took time.Duration, err error) {
	if t.Record == nil {
		return
	}
	r := model.MemberSend{ChannelID: mm.Channel.ID, Code: mm.Code, CheckStatus: m.Status, Started: start, Duration: took}
	if !m.Test {
		r.CheckID = m.Check.ID
		if m.Flip.ID != 0 {
			id := m.Flip.ID
			r.FlipID = &id
		}
	}
	if err != nil {
		if r.Error = notify.ErrorText(err); r.Error == "" {
			r.Error = "Failed"
		}
		r.Permanent = notify.IsPermanent(err)
	}
	// The budget may have run out: the outcome is still written.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := t.Record(rctx, r); rerr != nil && t.Log != nil {
		t.Log.Warn("group member's outcome not recorded", "group", m.Channel.Code, "channel", mm.Channel.Code, "err", rerr)
	}
}
