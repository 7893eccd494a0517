package kinds_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/mailer"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

// Every kind of the build: a unique, well-formed name; an addable kind
// validates its own example, survives ToForm then FromForm unchanged in
// meaning, and rejects malformed values and empty forms with errors that
// say what is wrong.
func TestRegistry(t *testing.T) {
	all := kinds.All()
	if _, err := kinds.NewRegistry(all); err != nil {
		t.Fatalf("NewRegistry(All()): %v", err)
	}
	seen := map[notify.Kind]bool{}
	for _, in := range all {
		if seen[in.Kind] {
			t.Errorf("kind %q listed twice", in.Kind)
		}
		seen[in.Kind] = true
		if !in.Addable() {
			if in.Events == nil {
				t.Errorf("%s: a pending kind is listed only for its Events, but has none", in.Kind)
			}
			continue
		}
		t.Run(string(in.Kind), func(t *testing.T) {
			if in.Example == "" {
				t.Fatal("no Example")
			}
			if err := in.Validate(in.Example); err != nil {
				t.Errorf("Validate(Example): %v", err)
			}
			if in.ToForm != nil {
				again, err := in.FromForm(in.ToForm(in.Example))
				if err != nil {
					t.Fatalf("FromForm(ToForm(Example)): %v", err)
				}
				if !reflect.DeepEqual(in.ToForm(again), in.ToForm(in.Example)) {
					t.Errorf("ToForm/FromForm changed the example:\n%s\n%s", in.Example, again)
				}
				if u1, d1 := in.Events(again); true {
					if u2, d2 := in.Events(in.Example); u1 != u2 || d1 != d2 {
						t.Errorf("events changed through the form: %v %v, want %v %v", u1, d1, u2, d2)
					}
				}
			}
			for _, bad := range []string{"{", `{"value": 5}`, `[]`} {
				err := in.Validate(bad)
				if err == nil {
					t.Errorf("Validate(%q) = nil, want an error", bad)
				} else if fe := (*notify.FieldError)(nil); !errors.As(err, &fe) && !strings.Contains(err.Error(), "JSON") {
					t.Errorf("Validate(%q) = %q: neither a field's error nor a JSON one", bad, err)
				}
			}
			_, err := in.FromForm(url.Values{})
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Msg == "" {
				t.Errorf("FromForm(empty) = %v, want a *notify.FieldError", err)
			}
			for _, f := range in.Fields {
				if f.Name == "" || f.Label == "" || f.Type == "" {
					t.Errorf("field %+v: name, label and type are required", f)
				}
			}
		})
	}
}

func TestNewRegistryRefuses(t *testing.T) {
	ok := notify.Integration{Kind: "email", Name: "Email"}
	for _, c := range []struct {
		name string
		list []notify.Integration
		want string
	}{
		{"duplicate", []notify.Integration{ok, ok}, `integration kind "email" is listed twice`},
		{"empty kind", []notify.Integration{{Name: "X"}}, `integration 0 (""): the kind must be 1 to 20 characters of a-z and 0-9`},
		{"upper case", []notify.Integration{{Kind: "Email", Name: "X"}}, `integration 0 ("Email"): the kind must be`},
		{"no name", []notify.Integration{{Kind: "x"}}, `integration "x" has no name`},
		{"addable without Validate", []notify.Integration{{Kind: "x", Name: "X",
			FromForm: func(url.Values) (string, error) { return "", nil },
			New:      func(notify.Deps) (notify.Transport, error) { return nil, nil }}}, `integration "x" has a form and a transport but no Validate or Events`},
	} {
		_, err := kinds.NewRegistry(c.list)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
}

// The event rules that model.ChannelEvents had, now the kinds' own: every
// kind of upstream's with a rule keeps it, and unknown kinds take both.
func TestEvents(t *testing.T) {
	reg := kinds.New()
	cases := []struct {
		kind, value string
		up, down    bool
	}{
		{"email", "alice@example.org", true, true},
		{"email", `{"value": "alice@example.org", "up": true, "down": true}`, true, true},
		{"email", `{"value": "alice@example.org", "up": false, "down": true}`, false, true},
		{"email", `{"value": "alice@example.org", "up": true, "down": false}`, true, false},
		{"sms", `{"value": "+15555550100", "up": false, "down": true}`, false, true},
		{"signal", `{"value": "+15555550100", "up": true, "down": false}`, true, false},
		{"whatsapp", `{"value": "+15555550100", "up": true, "down": false}`, true, false},
		{"webhook", `{"method_down": "GET", "url_down": "https://x/down", "body_down": "", "headers_down": {}, "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`, false, true},
		{"webhook", `{"url_down": "", "url_up": "https://x/up"}`, true, false},
		{"webhook", `not json`, false, false},
		{"shell", `{"cmd_down": "", "cmd_up": "echo up"}`, true, false},
		{"shell", `not json`, false, false},
		{"ntfy", `{"topic": "t", "url": "https://ntfy.sh", "priority": 5, "priority_up": 0}`, false, true},
		{"gotify", `{"priority": 0, "priority_up": 5}`, true, false},
		{"gotify", `not json`, true, true},
		{"po", "key|0|-3", false, true},
		{"po", "key|-3|1", true, false},
		{"po", "key|-3", false, false},
		{"po", "key|1", true, true},
		{"call", `{"value": "+15555550100"}`, false, true},
		{"trello", `{}`, false, true},
		{"github", `{}`, false, true},
		{"slack", "https://hooks.slack.com/services/x", true, true},
		{"mattermost", "https://mm.example.org/hooks/x", true, true},
		{"", "", true, true},
	}
	for _, c := range cases {
		up, down := reg.Events(model.Channel{Kind: c.kind, Value: c.value})
		if up != c.up || down != c.down {
			t.Errorf("Events(%q, %q) = up %v down %v, want up %v down %v", c.kind, c.value, up, down, c.up, c.down)
		}
	}
}

// Forms as the CLI and the pages submit them: the stored value is exactly
// what Overdue has always stored, and each bad field is named.
func TestFromForm(t *testing.T) {
	reg := kinds.New()
	long := func(n int) string { return strings.Repeat("é", n) }
	cases := []struct {
		name, kind string
		form       url.Values
		value      string // when it succeeds
		err        string // FieldError.Error()
	}{
		{"email", "email", url.Values{"value": {"a@example.org"}, "down": {"on"}}, `{"down":true,"up":false,"value":"a@example.org"}`, ""},
		{"email with both", "email", url.Values{"value": {"a@example.org"}, "down": {"on"}, "up": {"true"}}, `{"down":true,"up":true,"value":"a@example.org"}`, ""},
		{"email 100 characters", "email", url.Values{"value": {strings.Repeat("a", 88) + "@example.org"}, "up": {"on"}}, `{"down":false,"up":true,"value":"` + strings.Repeat("a", 88) + `@example.org"}`, ""},
		{"email 101 characters", "email", url.Values{"value": {strings.Repeat("a", 89) + "@example.org"}, "up": {"on"}}, "", "value: must be an email address of at most 100 characters"},
		{"email not an address", "email", url.Values{"value": {"not-an-address"}, "up": {"on"}}, "", "value: must be an email address of at most 100 characters"},
		{"email with a space", "email", url.Values{"value": {" a@example.org"}, "up": {"on"}}, "", "value: must be an email address of at most 100 characters"},
		{"email no events", "email", url.Values{"value": {"a@example.org"}, "up": {"false"}}, "", "at least one of up and down must be true"},
		{"webhook", "webhook", url.Values{"url_down": {"https://h.example/d?n=$NAME"}, "method_down": {"post"}, "body_down": {"$NAME"},
			"headers_down": {"Content-Type: text/plain\r\n\nX-A: 1"}},
			`{"body_down":"$NAME","body_up":"","headers_down":{"Content-Type":"text/plain","X-A":"1"},"headers_up":{},"method_down":"POST","method_up":"GET","url_down":"https://h.example/d?n=$NAME","url_up":""}`, ""},
		{"webhook no URL", "webhook", url.Values{"method_down": {"GET"}}, "", "a webhook needs url_down, url_up or both"},
		{"webhook ftp", "webhook", url.Values{"url_down": {"ftp://example.org/"}}, "", "url_down: must be an http:// or https:// URL of at most 1,000 characters"},
		{"webhook long URL", "webhook", url.Values{"url_up": {"https://example.org/" + long(981)}}, "", "url_up: must be an http:// or https:// URL of at most 1,000 characters"},
		{"webhook URL without a TLD", "webhook", url.Values{"url_up": {"http://home_server:8080/up"}},
			`{"body_down":"","body_up":"","headers_down":{},"headers_up":{},"method_down":"GET","method_up":"GET","url_down":"","url_up":"http://home_server:8080/up"}`, ""},
		{"webhook DELETE", "webhook", url.Values{"url_down": {"https://example.org/"}, "method_down": {"DELETE"}}, "", "method_down: must be GET, POST or PUT"},
		{"webhook long body", "webhook", url.Values{"url_down": {"https://example.org/"}, "body_down": {long(1001)}}, "", "body_down: is limited to 1,000 characters"},
		{"webhook header without colon", "webhook", url.Values{"url_down": {"https://example.org/"}, "headers_up": {"no colon"}}, "", `headers_up: want "Name: value", got "no colon"`},
		{"webhook header name", "webhook", url.Values{"url_down": {"https://example.org/"}, "headers_down": {"X-Ā: v"}}, "", "headers_down: header names must not contain special characters"},
		{"webhook long header", "webhook", url.Values{"url_down": {"https://example.org/"}, "headers_down": {"X: " + long(1001)}}, "", "headers_down: a header name or value is limited to 1,000 characters"},
		// Kinds upstream removed (linenotify, msteams) are never addable;
		// the list of those that are grows with every integration.
		{"unknown kind", "linenotify", url.Values{}, "", "kind: must be " + reg.AddableKinds()},
		{"removed kind", "msteams", url.Values{}, "", "kind: must be " + reg.AddableKinds()},
		{"no kind", "", url.Values{}, "", "kind: must be " + reg.AddableKinds()},
	}
	for _, c := range cases {
		v, err := reg.FromForm(notify.Kind(c.kind), c.form)
		if c.err != "" {
			var fe *notify.FieldError
			if !errors.As(err, &fe) || err.Error() != c.err {
				t.Errorf("%s: error %v, want the *notify.FieldError %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || v != c.value {
			t.Errorf("%s: %q, %v; want %q", c.name, v, err, c.value)
			continue
		}
		in, _ := reg.Lookup(notify.Kind(c.kind))
		if err := in.Validate(v); err != nil {
			t.Errorf("%s: Validate(FromForm) = %v", c.name, err)
		}
	}
}

func TestValidateStoredValues(t *testing.T) {
	reg := kinds.New()
	cases := []struct{ kind, value, err string }{
		{"email", "alice@example.org", ""},
		{"email", `{"value": "alice@example.org"}`, ""},
		{"email", `{"value": "alice@example.org", "up": false, "down": false}`, "at least one of up and down must be true"},
		{"email", `{"up": true}`, "value: is missing"},
		{"email", `{"value": "x"}`, "value: must be an email address of at most 100 characters"},
		{"email", `{"value": "a@example.org", "up": "yes"}`, "email configuration is not a JSON object"},
		{"webhook", `{"url_down": "https://example.org/"}`, ""},
		{"webhook", `{"url_down": "https://example.org/", "method_down": "PATCH"}`, "method_down: must be GET, POST or PUT"},
		{"webhook", `{"url_down": "", "url_up": ""}`, "a webhook needs url_down, url_up or both"},
		{"webhook", `{"url_down": "https://example.org/", "headers_down": {"X": 1}}`, "webhook configuration is not valid JSON"},
		{"webhook", `not json`, "webhook configuration is not valid JSON"},
	}
	for _, c := range cases {
		in, _ := reg.Lookup(notify.Kind(c.kind))
		err := in.Validate(c.value)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("Validate(%s, %s) = %v", c.kind, c.value, err)
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("Validate(%s, %s) = %v, want %q", c.kind, c.value, err, c.err)
		}
	}
}

type nopMailer struct{}

func (nopMailer) Send(context.Context, *mailer.Message) error { return nil }

// Transports: one per kind this build sends, none for pending kinds (their
// sends fail as "not supported"), and a kind the operator switched off
// fails its sends with upstream's words, once, leaving the channel enabled.
func TestTransports(t *testing.T) {
	reg := kinds.New()
	deps := notify.Deps{Client: notify.NewClient(notify.ClientOptions{}), Mailer: nopMailer{}, SecretKey: "k"}
	tr, err := reg.Transports(deps)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"email", "webhook"} {
		if _, err := tr.Lookup(k); err != nil {
			t.Errorf("no %s transport: %v", k, err)
		}
	}
	// Kinds upstream removed, which no build sends.
	for _, k := range []string{"linenotify", "msteams"} {
		if _, err := tr.Lookup(k); notify.ErrorText(err) != `Integration type "`+k+`" is not supported by this server` || !notify.IsFinal(err) {
			t.Errorf("%s: %v", k, err)
		}
	}
	deps.Getenv = func(name string) (string, bool) {
		return map[string]string{"WEBHOOKS_ENABLED": "False"}[name], name == "WEBHOOKS_ENABLED"
	}
	tr, err = reg.Transports(deps)
	if err != nil {
		t.Fatal(err)
	}
	hook, _ := tr.Lookup("webhook")
	err = hook.Send(context.Background(), &notify.Message{Channel: model.Channel{Kind: "webhook", Value: `{"url_down": "https://example.org/"}`}, Status: "down"})
	if notify.ErrorText(err) != "Webhook notifications are not enabled." || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("disabled webhook: %v", err)
	}
	// Set to the empty string is False, as upstream's envbool reads it;
	// unset is the default, True.
	in, _ := reg.Lookup("webhook")
	if in.Enabled(in.EnvFrom(func(string) (string, bool) { return "", true })) || !in.Enabled(in.EnvFrom(nil)) {
		t.Error("WEBHOOKS_ENABLED: empty must read False and unset True")
	}
	if _, err := reg.Transports(notify.Deps{Client: deps.Client}); err == nil || err.Error() != "email integration: no mailer" {
		t.Errorf("no mailer: %v", err)
	}
}

// AddableKinds lists the addable kinds in All's order, email and webhook
// first, the last one after "or".
func TestAddableKinds(t *testing.T) {
	reg := kinds.New()
	var names []string
	for _, in := range reg.Addable() {
		names = append(names, string(in.Kind))
	}
	want := strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
	if got := reg.AddableKinds(); got != want || !strings.HasPrefix(got, "email, webhook") {
		t.Errorf("AddableKinds() = %q, want %q", got, want)
	}
}

// The group kind sends through the registry's own transports: a real
// webhook to a real server for each member, each member's event rule
// deciding (an empty "up" URL is upstream's no-op, not a failure).
func TestGroupSendsThroughMembers(t *testing.T) {
	ok := notifytest.NewServer(t)
	bad := notifytest.NewServer(t, notifytest.Reply{Status: 500})
	hook := func(down, up string) string {
		return `{"method_down": "POST", "url_down": "` + down + `", "body_down": "$NAME", "headers_down": {}, "method_up": "GET", "url_up": "` + up + `", "body_up": "", "headers_up": {}}`
	}
	members := []model.Channel{
		{Code: "aaaaaaaa-0000-4000-8000-000000000001", ProjectID: 7, Kind: "webhook", Value: hook(ok.URL+"/down", "")},
		{Code: "aaaaaaaa-0000-4000-8000-000000000002", ProjectID: 7, Kind: "webhook", Value: hook(bad.URL+"/down", bad.URL+"/up")},
	}
	var asked []int64
	deps := notify.Deps{Client: notifytest.Client(time.Second), Mailer: nopMailer{},
		Channels: func(_ context.Context, projectID int64, codes []string) ([]model.Channel, error) {
			asked = append(asked, projectID)
			return members, nil
		}}
	tr, err := kinds.New().Transports(deps)
	if err != nil {
		t.Fatal(err)
	}
	g, err := tr.Lookup("group")
	if err != nil {
		t.Fatal(err)
	}
	group := model.Channel{Code: "99999999-0000-4000-8000-000000000009", ProjectID: 7, Kind: "group", Value: members[0].Code + "," + members[1].Code}
	for _, c := range []struct {
		status  string
		err     string
		okHits  int
		badHits int
	}{
		{model.StatusDown, "1 out of 2 notifications failed", 1, 3},
		// The first member sends no "up": only the second is tried.
		{model.StatusUp, "1 out of 2 notifications failed", 1, 6},
	} {
		m := notifytest.Message(c.status)
		m.Channel = group
		err := g.Send(context.Background(), m)
		if notify.ErrorText(err) != c.err || len(ok.Requests()) != c.okHits || len(bad.Requests()) != c.badHits {
			t.Errorf("%s: %v, %d and %d requests; want %q, %d and %d", c.status, err, len(ok.Requests()), len(bad.Requests()), c.err, c.okHits, c.badHits)
		}
	}
	if r := ok.Requests()[0]; r.URI != "/down" || string(r.Body) != "Daily Backup" {
		t.Errorf("member got %s %s", r.URI, r.Body)
	}
	if len(asked) != 2 || asked[0] != 7 {
		t.Errorf("members looked up in projects %v, want the group's", asked)
	}
}
