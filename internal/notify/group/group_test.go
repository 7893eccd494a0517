package group

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const (
	a = "aaaaaaaa-0000-4000-8000-000000000001"
	b = "bbbbbbbb-0000-4000-8000-000000000002"
	c = "cccccccc-0000-4000-8000-000000000003"
)

func TestForm(t *testing.T) {
	in := Integration()
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"channels": {a, b}}, a + "," + b},
		{url.Values{"channels": {" " + strings.ToUpper(b) + " , " + a + ",", a}}, b + "," + a},
	} {
		v, err := in.FromForm(tc.form)
		if err != nil || v != tc.want {
			t.Errorf("%v: %q %v, want %q", tc.form, v, err, tc.want)
		}
		if err := in.Validate(v); err != nil {
			t.Errorf("Validate(%q): %v", v, err)
		}
	}
	many := make([]string, MaxMembers+1)
	for i := range many {
		many[i] = fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012x", i)
	}
	for _, tc := range []struct {
		form url.Values
		msg  string
	}{
		{url.Values{}, "must name at least one integration"},
		{url.Values{"channels": {" , "}}, "must name at least one integration"},
		{url.Values{"channels": {"not-a-uuid"}}, "must list integrations by their UUIDs"},
		{url.Values{"channels": {"{" + a + "}"}}, "must list integrations by their UUIDs"},
		{url.Values{"channels": {strings.ReplaceAll(a, "-", "")}}, "must list integrations by their UUIDs"},
		{url.Values{"channels": {a + "' OR 1=1"}}, "must list integrations by their UUIDs"},
		{url.Values{"channels": many}, "can name at most 100 integrations"},
	} {
		_, err := in.FromForm(tc.form)
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != "channels" || fe.Msg != tc.msg {
			t.Errorf("%.80v: %v, want %q", tc.form.Encode(), err, tc.msg)
		}
	}
	if in.Validate(strings.ToUpper(a)) == nil || in.Validate(a+","+a) == nil {
		t.Error("Validate takes a value FromForm would not store")
	}
	if got := in.ToForm(a + ",junk," + b); !slices.Equal(got["channels"], []string{a, b}) {
		t.Errorf("ToForm = %v", got)
	}
}

// recorder stands in for the dispatcher's table of transports.
type recorder struct {
	mu    sync.Mutex
	sent  []string
	tests []bool
	fail  map[string]bool
}

func (r *recorder) deliver(ctx context.Context, m *notify.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m.Channel.Code)
	r.tests = append(r.tests, m.Test)
	if r.fail[m.Channel.Code] {
		return notify.FailPermanent("Received status code 404")
	}
	return nil
}

func loader(channels ...model.Channel) func(context.Context, int64, []string) ([]model.Channel, error) {
	return func(_ context.Context, projectID int64, codes []string) ([]model.Channel, error) {
		var out []model.Channel
		for _, ch := range channels {
			if ch.ProjectID == projectID && slices.Contains(codes, ch.Code) {
				out = append(out, ch)
			}
		}
		return out, nil
	}
}

func TestSend(t *testing.T) {
	const self = "99999999-0000-4000-8000-000000000009"
	members := loader(
		model.Channel{Code: a, ProjectID: 1, Kind: "webhook"},
		model.Channel{Code: b, ProjectID: 1, Kind: "slack"},
		// A group in a group is skipped: no loops.
		model.Channel{Code: c, ProjectID: 1, Kind: "group", Value: self},
		model.Channel{Code: self, ProjectID: 1, Kind: "group", Value: a},
		// Disabled by an earlier permanent error or an unsubscribe.
		model.Channel{Code: "dddddddd-0000-4000-8000-000000000004", ProjectID: 1, Kind: "email", Disabled: true},
		// Another project's channel is never reached.
		model.Channel{Code: "eeeeeeee-0000-4000-8000-000000000005", ProjectID: 2, Kind: "webhook"},
	)
	value := strings.Join([]string{a, b, c, self, "dddddddd-0000-4000-8000-000000000004", "eeeeeeee-0000-4000-8000-000000000005"}, ",")
	for _, tc := range []struct {
		name string
		fail []string
		test bool
		err  string
	}{
		{name: "all sent"},
		{name: "test flag passed on", test: true},
		{name: "one fails", fail: []string{b}, err: "1 out of 2 notifications failed"},
		{name: "all fail", fail: []string{a, b}, err: "2 out of 2 notifications failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{fail: map[string]bool{}}
			for _, f := range tc.fail {
				rec.fail[f] = true
			}
			m := notifytest.Message(model.StatusDown)
			m.Channel = model.Channel{Code: self, ProjectID: 1, Kind: "group", Value: value}
			m.Test = tc.test
			err := (&Transport{Channels: members, Deliver: rec.deliver}).Send(context.Background(), m)
			// Final, never permanent: the group stays, and is not tried again.
			if notify.ErrorText(err) != tc.err || err != nil && (!notify.IsFinal(err) || notify.IsPermanent(err)) {
				t.Errorf("err %v, want %q (final)", err, tc.err)
			}
			slices.Sort(rec.sent)
			if !slices.Equal(rec.sent, []string{a, b}) {
				t.Errorf("sent to %v, want %v", rec.sent, []string{a, b})
			}
			for _, test := range rec.tests {
				if test != tc.test {
					t.Errorf("a member got Test=%v", test)
				}
			}
			if m.Channel.Code != self {
				t.Error("the group's message was changed")
			}
		})
	}
}

func TestSendWithoutStore(t *testing.T) {
	tr, err := Integration().Transport(notify.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel.Value = a
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "Group notifications need a database" || !notify.IsFinal(err) {
		t.Errorf("%v", err)
	}
	failing := func(context.Context, int64, []string) ([]model.Channel, error) { return nil, errors.New("db down") }
	rec := &recorder{}
	if err := (&Transport{Channels: failing, Deliver: rec.deliver}).Send(context.Background(), m); notify.ErrorText(err) != "Could not load the group's integrations" || notify.IsFinal(err) {
		t.Errorf("db down: %v, want a retryable error", err)
	}
}

// The budget ends members that hang; they count as failed.
func TestBudget(t *testing.T) {
	hang := func(ctx context.Context, m *notify.Message) error {
		<-ctx.Done()
		return notify.Fail("Connection timed out")
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel = model.Channel{ProjectID: 1, Kind: "group", Value: a + "," + b}
	tr := &Transport{Channels: loader(model.Channel{Code: a, ProjectID: 1, Kind: "webhook"}, model.Channel{Code: b, ProjectID: 1, Kind: "webhook"}),
		Deliver: hang, Budget: 1}
	if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "2 out of 2 notifications failed" {
		t.Errorf("%v", err)
	}
}

// Each member's own outcome goes to Record: its error and permanence, the
// check and flip (none for a test), a notification code of its own that
// its message carried, and its start and duration. Members send
// concurrently, so the times come from synctest's clock: every member
// starts at the bubble's epoch and takes exactly the second it sleeps. A
// member that does not send the event is neither recorded nor counted as
// failed.
func TestRecordsMembers(t *testing.T) {
	members := loader(
		model.Channel{ID: 1, Code: a, ProjectID: 1, Kind: "webhook"},
		model.Channel{ID: 2, Code: b, ProjectID: 1, Kind: "slack"},
		model.Channel{ID: 3, Code: c, ProjectID: 1, Kind: "webhook"},
	)
	for _, test := range []bool{false, true} {
		t.Run(fmt.Sprintf("test=%v", test), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var (
					mu      sync.Mutex
					got     = map[int64]model.MemberSend{}
					carried = map[int64]string{}
					epoch   = time.Now()
					deliver = func(_ context.Context, m *notify.Message) error {
						time.Sleep(time.Second)
						mu.Lock()
						defer mu.Unlock()
						carried[m.Channel.ID] = m.Code
						switch m.Channel.Code {
						case b:
							return notify.FailPermanent("Received status code 404")
						case c:
							return notify.ErrNoOp
						}
						return nil
					}
				)
				tr := &Transport{Channels: members, Deliver: deliver,
					Record: func(_ context.Context, r model.MemberSend) error {
						mu.Lock()
						defer mu.Unlock()
						got[r.ChannelID] = r
						return nil
					}}
				m := notifytest.Message(model.StatusDown)
				m.Check.ID, m.Flip.ID, m.Test = 42, 9, test
				m.Channel = model.Channel{Code: "99999999-0000-4000-8000-000000000009", ProjectID: 1, Kind: "group", Value: a + "," + b + "," + c}
				if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "1 out of 3 notifications failed" {
					t.Errorf("group: %v", err)
				}
				if len(got) != 2 {
					t.Fatalf("recorded %v, want members 1 and 2 (3 sends no \"down\")", got)
				}
				okRow, bad := got[1], got[2]
				if okRow.Error != "" || okRow.Permanent || bad.Error != "Received status code 404" || !bad.Permanent {
					t.Errorf("outcomes %+v and %+v", okRow, bad)
				}
				for id, r := range got {
					if r.Duration != time.Second || !r.Started.Equal(epoch) || r.CheckStatus != model.StatusDown || r.Code != carried[id] {
						t.Errorf("member %d: %+v (its message carried code %q)", id, r, carried[id])
					}
					switch {
					case test && (r.CheckID != 0 || r.FlipID != nil || r.Code != m.Code):
						t.Errorf("a test's member %d kept a check, a flip or a code of its own: %+v", id, r)
					case !test && (r.CheckID != 42 || r.FlipID == nil || *r.FlipID != 9 || r.Code == m.Code || len(r.Code) != 36):
						t.Errorf("member %d: %+v", id, r)
					}
				}
				if !test && okRow.Code == bad.Code {
					t.Error("two members share a notification code")
				}
			})
		})
	}
}
