// Package trello is the Trello channel kind: a card on the channel's list
// for every check that goes down (upstream sends Trello nothing on "up"),
// created with the operator's application key and the user's token.
package trello

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// CardsURL is Trello's card creation endpoint.
const CardsURL = "https://api.trello.com/1/cards"

// listIDRE is upstream's AddTrelloForm rule for list_id.
var listIDRE = regexp.MustCompile(`^[0-9a-fA-F]{16,32}$`)

// Integration is the Trello kind for the registry. Its stored value is
// upstream's {"token", "list_id", "board_name", "list_name"}.
//
// As upstream's, the add page sends the user through Trello's authorize
// page for a token and then lists their boards (OAuth); the form also
// takes a pasted token and list id, as upstream's form posts them.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "trello",
		Name: "Trello",
		Settings: []notify.Setting{{Name: "TRELLO_APP_KEY", Secret: true,
			Help: "the Trello application (Power-Up) API key; enables Trello"}},
		Enabled: func(env notify.Env) bool { return env("TRELLO_APP_KEY") != "" },
		Fields: []notify.Field{
			{Name: "token", Label: "Token", Type: notify.FieldPassword, Required: true, MaxLen: 1000,
				Help: "a Trello token with read and write access, authorized for this server's application key"},
			{Name: "board_name", Label: "Board name", Type: notify.FieldText, Required: true, MaxLen: 100},
			{Name: "list_name", Label: "List name", Type: notify.FieldText, Required: true, MaxLen: 100},
			{Name: "list_id", Label: "List id", Type: notify.FieldText, Required: true, MaxLen: 32,
				Help: "the id of the list new cards go to: 16 to 32 hexadecimal digits"},
		},
		FromForm: fromForm,
		Validate: validate,
		Events:   notify.DownOnly,
		OAuth:    OAuth(Web, API),
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client, Key: d.Env("TRELLO_APP_KEY"), SiteName: d.SiteName, URL: CardsURL}, nil
		},
		Example: `{"board_name":"Ops","list_id":"5f0c3d2e1b4a6978c0d1e2f3","list_name":"Incidents","token":"ATTA0123456789abcdef"}`,
	}
}

// Config is the stored value.
type Config struct {
	Token     string `json:"token"`
	ListID    string `json:"list_id"`
	BoardName string `json:"board_name"`
	ListName  string `json:"list_name"`
}

// fields are the form's, in the order their errors are reported.
var fields = []struct {
	name string
	max  int
}{{"token", 1000}, {"board_name", 100}, {"list_name", 100}, {"list_id", 32}}

func fromForm(form url.Values) (string, error) {
	c := Config{Token: strings.TrimSpace(form.Get("token")), BoardName: strings.TrimSpace(form.Get("board_name")),
		ListName: strings.TrimSpace(form.Get("list_name")), ListID: strings.TrimSpace(form.Get("list_id"))}
	if err := check(c, true); err != nil {
		return "", err
	}
	// A map, so that the keys come out sorted, as upstream's sort_keys.
	v, err := json.Marshal(map[string]string{"token": c.Token, "list_id": c.ListID, "board_name": c.BoardName, "list_name": c.ListName})
	if err != nil {
		return "", fmt.Errorf("encode trello configuration: %w", err)
	}
	return string(v), nil
}

// check applies the form's rules; strict adds the list id's format,
// which stored values imported from upstream need not have (its own
// tests store "fake-list-id").
func check(c Config, strict bool) error {
	get := map[string]string{"token": c.Token, "board_name": c.BoardName, "list_name": c.ListName, "list_id": c.ListID}
	for _, f := range fields {
		v := get[f.name]
		switch {
		case v == "":
			return &notify.FieldError{Field: f.name, Msg: "is required"}
		case utf8.RuneCountInString(v) > f.max:
			return &notify.FieldError{Field: f.name, Msg: fmt.Sprintf("must be at most %d characters", f.max)}
		case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f }):
			return &notify.FieldError{Field: f.name, Msg: "must not contain control characters"}
		}
	}
	if strict && !listIDRE.MatchString(c.ListID) {
		return &notify.FieldError{Field: "list_id", Msg: "must be 16 to 32 hexadecimal digits"}
	}
	return nil
}

// Parse reads a stored value.
func Parse(value string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("trello configuration is not a JSON object with strings \"token\", \"list_id\", \"board_name\" and \"list_name\": %w", err)
	}
	return c, check(c, false)
}

func validate(value string) error { _, err := Parse(value); return err }

// Transport creates cards.
type Transport struct {
	Client *notify.Client
	// Key is TRELLO_APP_KEY.
	Key      string
	SiteName string
	// URL is CardsURL unless a test says otherwise.
	URL string
}

// Name is upstream's trello_name.html: the card's title.
func Name(m *notify.Message) string {
	if m.Status == model.StatusDown {
		return notify.Tmpl("Down: " + m.Check.NameThenCode())
	}
	return notify.Tmpl("Up: " + m.Check.NameThenCode())
}

// Desc is upstream's trello_desc.html, blank lines and all: the card's
// Markdown description. The check's description is the user's own
// Markdown, and is put in as is, as upstream does.
func (t *Transport) Desc(m *notify.Message) string {
	ch := &m.Check
	var b strings.Builder
	b.WriteString(ch.Desc + "\n\n")
	switch ch.Kind {
	case model.KindSimple:
		b.WriteString("\n**Period:** " + humanize.Duration(ch.Timeout) + "\n\n\n\n")
	case model.KindCron, model.KindOnCalendar:
		b.WriteString("\n\n\n**Schedule:** `" + ch.Schedule + "`\n\n**Time Zone:** " + ch.TZ + "\n\n")
	default:
		b.WriteString("\n\n\n")
	}
	b.WriteString("\n**Last Ping:** ")
	if m.LastPing == nil {
		b.WriteString("never")
	} else {
		b.WriteString(humanize.NaturalTime(m.LastPing.Created, m.Now))
	}
	b.WriteString("\n\n[Full Details @ " + t.SiteName + "](" + m.CheckURL + ")")
	return notify.Tmpl(b.String())
}

// Query is the request's query string, in upstream's order.
func (t *Transport) Query(c Config, m *notify.Message) string {
	var b strings.Builder
	for i, kv := range [][2]string{{"idList", c.ListID}, {"name", Name(m)}, {"desc", t.Desc(m)}, {"key", t.Key}, {"token", c.Token}} {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(kv[0] + "=" + url.QueryEscape(kv[1]))
	}
	return b.String()
}

// Send creates the card of a "down" message; "up" is a no-op.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if m.Status != model.StatusDown {
		return nil
	}
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid Trello configuration")
	}
	tries := notify.Attempts
	if m.Test {
		tries = 1
	}
	// Upstream sends everything in the query string and no body.
	_, err = t.Client.SendForm(ctx, notify.FormRequest{URL: t.URL + "?" + t.Query(c, m), Attempts: tries})
	return err
}
