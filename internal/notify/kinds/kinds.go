// Package kinds is the integration registry: the one list of the channel
// kinds this build knows, and the lookups every other part makes through
// it (which events a channel wants, how a form becomes a stored value,
// which transport sends it). Adding a kind is one package exporting
// Integration() and one line in All.
package kinds

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/apprise"
	"github.com/overdue/overdue/internal/notify/call"
	"github.com/overdue/overdue/internal/notify/discord"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/github"
	"github.com/overdue/overdue/internal/notify/googlechat"
	"github.com/overdue/overdue/internal/notify/gotify"
	"github.com/overdue/overdue/internal/notify/group"
	"github.com/overdue/overdue/internal/notify/matrix"
	"github.com/overdue/overdue/internal/notify/mattermost"
	"github.com/overdue/overdue/internal/notify/msteamsw"
	"github.com/overdue/overdue/internal/notify/ntfy"
	"github.com/overdue/overdue/internal/notify/opsgenie"
	"github.com/overdue/overdue/internal/notify/pagertree"
	"github.com/overdue/overdue/internal/notify/pd"
	"github.com/overdue/overdue/internal/notify/po"
	"github.com/overdue/overdue/internal/notify/pushbullet"
	"github.com/overdue/overdue/internal/notify/rocketchat"
	"github.com/overdue/overdue/internal/notify/shell"
	"github.com/overdue/overdue/internal/notify/signal"
	"github.com/overdue/overdue/internal/notify/slack"
	"github.com/overdue/overdue/internal/notify/sms"
	"github.com/overdue/overdue/internal/notify/spike"
	"github.com/overdue/overdue/internal/notify/telegram"
	"github.com/overdue/overdue/internal/notify/trello"
	"github.com/overdue/overdue/internal/notify/victorops"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/notify/whatsapp"
	"github.com/overdue/overdue/internal/notify/zulip"
)

// All returns the integrations of this build, one per kind: first those it
// can send, in the order pages list them, then the kinds it knows only for
// their event rules (pending.go). It builds the list afresh on every call,
// so no caller can change another's.
func All() []notify.Integration {
	return append([]notify.Integration{
		email.Integration(),
		webhook.Integration(),
		slack.Integration(),
		mattermost.Integration(),
		discord.Integration(),
		signal.Integration(),
		rocketchat.Integration(),
		msteamsw.Integration(),
		googlechat.Integration(),
		telegram.Integration(),
		matrix.Integration(),
		pd.Integration(),
		opsgenie.Integration(),
		victorops.Integration(),
		pagertree.Integration(),
		spike.Integration(),
		pushbullet.Integration(),
		zulip.Integration(),
		shell.Integration(),
		ntfy.Integration(),
		po.Integration(),
		gotify.Integration(),
		sms.Integration(),
		whatsapp.Integration(),
		call.Integration(),
		trello.Integration(),
		github.Integration(),
		apprise.Integration(),
		group.Integration(),
	}, pending()...)
}

// Registry looks integrations up by kind. It is read-only once built and
// safe for concurrent use.
type Registry struct {
	list   []notify.Integration
	byKind map[notify.Kind]int
}

// New is the registry of All. The list is fixed at build time and tested,
// so an error here is a programming error.
func New() *Registry {
	r, err := NewRegistry(All())
	if err != nil {
		panic(err)
	}
	return r
}

// NewRegistry builds a registry over list, refusing an empty, malformed or
// repeated kind, and a kind that can be added without Validate or Events.
func NewRegistry(list []notify.Integration) (*Registry, error) {
	r := &Registry{list: append([]notify.Integration(nil), list...), byKind: make(map[notify.Kind]int, len(list))}
	for i, in := range r.list {
		if !validKind(in.Kind) {
			return nil, fmt.Errorf("integration %d (%q): the kind must be 1 to 20 characters of a-z and 0-9", i, in.Kind)
		}
		if _, dup := r.byKind[in.Kind]; dup {
			return nil, fmt.Errorf("integration kind %q is listed twice", in.Kind)
		}
		if in.Name == "" {
			return nil, fmt.Errorf("integration %q has no name", in.Kind)
		}
		if in.Addable() && (in.Validate == nil || in.Events == nil) {
			return nil, fmt.Errorf("integration %q has a form and a transport but no Validate or Events", in.Kind)
		}
		r.byKind[in.Kind] = i
	}
	return r, nil
}

// validKind: upstream's kind identifiers ("email", "msteamsw", "po") fit
// its 20-character column and are plain lower-case words.
func validKind(k notify.Kind) bool {
	if len(k) == 0 || len(k) > 20 {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// List returns every integration, in All's order.
func (r *Registry) List() []notify.Integration { return append([]notify.Integration(nil), r.list...) }

// Addable returns the integrations that new channels can be made of.
func (r *Registry) Addable() []notify.Integration {
	var out []notify.Integration
	for _, in := range r.list {
		if in.Addable() {
			out = append(out, in)
		}
	}
	return out
}

// AddableKinds names the addable kinds as a sentence: "email or webhook".
func (r *Registry) AddableKinds() string {
	var names []string
	for _, in := range r.Addable() {
		names = append(names, string(in.Kind))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Lookup returns the integration of kind.
func (r *Registry) Lookup(kind notify.Kind) (notify.Integration, bool) {
	i, ok := r.byKind[kind]
	if !ok {
		return notify.Integration{}, false
	}
	return r.list[i], true
}

// Events reports which events ch wants: its kind's rule, and both events
// for a kind this build does not know at all (upstream's default; the send
// then fails with "not supported" on the channel, as before this registry).
// The store's outbox calls it for every channel of a flipped check.
func (r *Registry) Events(ch model.Channel) (up, down bool) {
	in, ok := r.Lookup(notify.Kind(ch.Kind))
	if !ok || in.Events == nil {
		return true, true
	}
	return in.Events(ch.Value)
}

// FromForm turns a submitted form into the stored value of a new channel of
// kind; a kind that cannot be added is a *notify.FieldError on "kind".
func (r *Registry) FromForm(kind notify.Kind, form url.Values) (string, error) {
	in, ok := r.Lookup(kind)
	if !ok || !in.Addable() {
		return "", &notify.FieldError{Field: "kind", Msg: "must be " + r.AddableKinds()}
	}
	return in.FromForm(form)
}

// Transports builds the transport of every kind this build can send, for
// the dispatcher; kinds without one are left out, and their sends fail
// with notify.Registry's "not supported by this server".
//
// Unless d.Send is set, the group kind's members are sent through the
// same table, with each member's own event rule: an event it does not
// send is skipped, as upstream's no-op (notify.ErrNoOp).
func (r *Registry) Transports(d notify.Deps) (notify.Registry, error) {
	out := notify.Registry{}
	if d.Send == nil {
		// out is complete before any send, and only read after.
		d.Send = func(ctx context.Context, m *notify.Message) error {
			up, down := r.Events(m.Channel)
			if m.Status == model.StatusUp && !up || m.Status != model.StatusUp && !down {
				return notify.ErrNoOp
			}
			t, err := out.Lookup(m.Channel.Kind)
			if err != nil {
				return err
			}
			return t.Send(ctx, m)
		}
	}
	for _, in := range r.list {
		t, err := in.Transport(d)
		if err != nil {
			return nil, err
		}
		if t != nil {
			out[string(in.Kind)] = t
		}
	}
	return out, nil
}
