// Package po is the Pushover channel kind ("po", upstream's identifier):
// a form-encoded POST to Pushover's messages API with the operator's
// application token and the channel's user key, HTML-formatted, with
// upstream's priorities, including emergency (2) with retry and expire.
package po

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// Pushover's API, as upstream calls it.
const (
	MessagesURL = "https://api.pushover.net/1/messages.json"
	// CancelURL cancels the emergency retries of the messages tagged %s.
	CancelURL = "https://api.pushover.net/1/receipts/cancel_by_tag/%s.json"
)

// Priorities are Pushover's, plus upstream's -3 for "do not notify".
var priorities = [][2]string{
	{"-3", "Disabled"}, {"-2", "Lowest priority: no notification"}, {"-1", "Low priority: no sound or vibration"},
	{"0", "Normal priority"}, {"1", "High priority: bypasses quiet hours"}, {"2", "Emergency priority: repeated until acknowledged"},
}

// maxKey bounds a user or group key (Pushover's are 30 characters).
const maxKey = 50

// Integration is the Pushover kind for the registry. Its stored value is
// upstream's "<user key>|<prio>|<prio_up>" (or the legacy "<user key>|<prio>",
// whose "up" priority follows "down").
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "po",
		Name: "Pushover",
		Settings: []notify.Setting{
			{Name: "PUSHOVER_API_TOKEN", Secret: true, Help: "the Pushover application's API token; enables Pushover"},
			{Name: "PUSHOVER_SUBSCRIPTION_URL", Help: "the application's subscription URL (upstream's sign-up round-trip; not used yet)"},
			{Name: "PUSHOVER_EMERGENCY_RETRY_DELAY", Default: "300", Help: "seconds between repeats of an emergency (priority 2) alert"},
			{Name: "PUSHOVER_EMERGENCY_EXPIRATION", Default: "86400", Help: "seconds after which an emergency alert stops repeating"},
		},
		Enabled: func(env notify.Env) bool { return env("PUSHOVER_API_TOKEN") != "" },
		Fields: []notify.Field{
			{Name: "pushover_user_key", Label: "User key", Type: notify.FieldText, Required: true, MaxLen: maxKey,
				Help: "your Pushover user or group key"},
			{Name: "prio", Label: "Priority for \"down\"", Type: notify.FieldSelect, Options: priorities, Default: "0"},
			{Name: "prio_up", Label: "Priority for \"up\"", Type: notify.FieldSelect, Options: priorities, Default: "0"},
		},
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: func(value string) error { _, err := Parse(value); return err },
		Events:   Events,
		New:      newTransport,
		Example:  "uQiRzpo4DXghDmr9QzzfQu27cmVRsG|2|0",
	}
}

// Config is a parsed stored value.
type Config struct {
	UserKey      string
	Prio, PrioUp int
	// prioS is the "down" priority as stored: upstream cancels emergency
	// repeats only when it is literally "2".
	prioS string
}

// Parse reads "<key>|<prio>[|<prio_up>]".
func Parse(value string) (Config, error) {
	parts := strings.Split(value, "|")
	if len(parts) < 2 || len(parts) > 3 {
		return Config{}, &notify.FieldError{Field: "pushover_user_key", Msg: "must be stored as \"<user key>|<priority>|<priority for up>\""}
	}
	c := Config{UserKey: parts[0], prioS: parts[1]}
	upS := parts[1]
	if len(parts) == 3 {
		upS = parts[2]
	}
	if !validKey(c.UserKey) {
		return Config{}, &notify.FieldError{Field: "pushover_user_key", Msg: "must be 1 to 50 letters and digits"}
	}
	var err error
	if c.Prio, err = prio(c.prioS); err != nil {
		return Config{}, &notify.FieldError{Field: "prio", Msg: err.Error()}
	}
	if c.PrioUp, err = prio(upS); err != nil {
		return Config{}, &notify.FieldError{Field: "prio_up", Msg: err.Error()}
	}
	return c, nil
}

func validKey(k string) bool {
	if k == "" || len(k) > maxKey {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

func prio(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < -3 || n > 2 {
		return 0, errors.New("must be a number from -3 to 2")
	}
	return n, nil
}

// Events: priority -3 turns an event off. A value this package cannot
// read keeps the registry's earlier rule (a malformed priority reads as 0).
func Events(value string) (up, down bool) {
	parts := strings.Split(value, "|")
	get := func(i int) int {
		if i >= len(parts) {
			return 0
		}
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return 0
		}
		return n
	}
	down = get(1) != -3
	if len(parts) >= 3 {
		return get(2) != -3, down
	}
	return down, down
}

func fromForm(form url.Values) (string, error) {
	key := strings.TrimSpace(form.Get("pushover_user_key"))
	p, pu := form.Get("prio"), form.Get("prio_up")
	if p == "" {
		p = "0"
	}
	if pu == "" {
		pu = "0"
	}
	v := key + "|" + p + "|" + pu
	if strings.Contains(key, "|") {
		return "", &notify.FieldError{Field: "pushover_user_key", Msg: "must be 1 to 50 letters and digits"}
	}
	if _, err := Parse(v); err != nil {
		return "", err
	}
	return v, nil
}

func toForm(value string) url.Values {
	c, err := Parse(value)
	if err != nil {
		return url.Values{}
	}
	return url.Values{"pushover_user_key": {c.UserKey}, "prio": {strconv.Itoa(c.Prio)}, "prio_up": {strconv.Itoa(c.PrioUp)}}
}

// Transport sends Pushover messages.
type Transport struct {
	Client *notify.Client
	// Token is PUSHOVER_API_TOKEN.
	Token    string
	SiteName string
	// Retry and Expire are the emergency settings, in seconds.
	Retry, Expire int
	// MessagesURL and CancelURL default to Pushover's (tests point them elsewhere).
	MessagesURL, CancelURL string
}

func newTransport(d notify.Deps) (notify.Transport, error) {
	if d.Client == nil {
		return nil, errors.New("no HTTP client")
	}
	retry, err := strconv.Atoi(d.Env("PUSHOVER_EMERGENCY_RETRY_DELAY"))
	if err != nil {
		return nil, errors.New("PUSHOVER_EMERGENCY_RETRY_DELAY must be a whole number of seconds")
	}
	expire, err := strconv.Atoi(d.Env("PUSHOVER_EMERGENCY_EXPIRATION"))
	if err != nil {
		return nil, errors.New("PUSHOVER_EMERGENCY_EXPIRATION must be a whole number of seconds")
	}
	return &Transport{Client: d.Client, Token: d.Env("PUSHOVER_API_TOKEN"), SiteName: d.SiteName,
		Retry: retry, Expire: expire, MessagesURL: MessagesURL, CancelURL: CancelURL}, nil
}

// field is one form field of the request, in upstream's order.
type field struct{ k, v string }

func encode(fields []field) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(f.k))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.v))
	}
	return b.String()
}

// Render is the message request's form body for m.
func (t *Transport) Render(c Config, m *notify.Message) string {
	p := c.Prio
	if m.Status == model.StatusUp {
		p = c.PrioUp
	}
	title := "🔴 " + m.Check.NameThenCode() + " is DOWN"
	if m.Status == model.StatusUp {
		title = "🟢 " + m.Check.NameThenCode() + " is UP"
	}
	fields := []field{
		{"token", t.Token}, {"user", c.UserKey}, {"message", body(m)}, {"title", title},
		{"html", "1"}, {"priority", strconv.Itoa(p)}, {"tags", m.Check.UniqueKey()},
		{"url", m.CheckURL}, {"url_title", "View on " + t.SiteName},
	}
	if p == 2 {
		fields = append(fields, field{"retry", strconv.Itoa(t.Retry)}, field{"expire", strconv.Itoa(t.Expire)})
	}
	return encode(fields)
}

// body is the HTML message (Pushover's html=1 subset: b, i, u, a, font);
// everything from the check is escaped.
func body(m *notify.Message) string {
	e := html.EscapeString
	var lines []string
	if m.Status == model.StatusDown && m.Flip.Reason != "" {
		lines = append(lines, "Reason: "+notify.ReasonLong(m.Flip.Reason)+".")
	} else if m.Status == model.StatusUp && m.Downtime > 0 {
		lines = append(lines, "The downtime lasted "+humanize.DurationForSentence(m.Downtime)+".")
	}
	lines = append(lines, "")
	ch := &m.Check
	if m.ProjectName != "" {
		lines = append(lines, "<b>Project:</b> "+e(m.ProjectName))
	}
	if tags := ch.TagsList(); len(tags) > 0 {
		lines = append(lines, "<b>Tags:</b> "+e(strings.Join(tags, ", ")))
	}
	switch ch.Kind {
	case model.KindCron, model.KindOnCalendar:
		lines = append(lines, "<b>Schedule:</b> <code>"+e(ch.Schedule)+"</code>", "<b>Time Zone:</b> "+e(ch.TZ))
	default:
		lines = append(lines, "<b>Period:</b> "+humanize.Duration(ch.Timeout))
	}
	if p := m.LastPing; p == nil {
		lines = append(lines, "<b>Total Pings:</b> 0", "<b>Last Ping:</b> Never")
	} else {
		lines = append(lines, "<b>Total Pings:</b> "+strconv.FormatInt(p.N, 10),
			"<b>Last Ping:</b> "+notify.LastPingText(m))
	}
	return strings.Join(lines, "\n")
}

// Send delivers m. An "up" after an emergency "down" first cancels the
// down alert's repeats, as upstream does.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailPermanent("Invalid Pushover configuration")
	}
	if t.Token == "" {
		return notify.FailFinal("Pushover notifications are not enabled.")
	}
	tries := notify.Attempts
	if m.Test {
		tries = 1
	}
	if m.Status == model.StatusUp && c.prioS == "2" {
		u := strings.Replace(t.CancelURL, "%s", m.Check.UniqueKey(), 1)
		if err := t.post(ctx, u, encode([]field{{"token", t.Token}}), tries); err != nil {
			return err
		}
	}
	return t.post(ctx, t.MessagesURL, t.Render(c, m), tries)
}

// post sends a form up to tries times; a 400 naming an invalid user is
// permanent (upstream disables the channel) and is not retried.
func (t *Transport) post(ctx context.Context, u, form string, tries int) error {
	var err error
	for i := 0; i < tries; i++ {
		var req *http.Request
		req, err = http.NewRequest(http.MethodPost, u, bytes.NewReader([]byte(form)))
		if err != nil {
			return notify.FailFinal("Invalid Pushover URL")
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var resp *notify.Response
		resp, err = t.Client.Send(ctx, req)
		if err == nil {
			return nil
		}
		if resp != nil && resp.StatusCode == http.StatusBadRequest {
			var doc struct {
				User string `json:"user"`
			}
			if json.Unmarshal(resp.Body, &doc) == nil && doc.User == "invalid" {
				return notify.FailPermanent("Received status code 400 (invalid user)")
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	return err
}
