package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/notify"
)

// Limits of upstream's WebhookForm, in characters.
const (
	maxURL    = 1000
	maxBody   = 1000
	maxHeader = 1000
)

// events are the two requests a webhook channel has, in the order its form
// is checked.
var events = [2]string{"down", "up"}

// Integration is the webhook kind for the registry (internal/notify/kinds).
// Its stored value is upstream's JSON: method_down, url_down, body_down,
// headers_down (an object) and the same for "up".
func Integration() notify.Integration {
	var fields []notify.Field
	for _, ev := range events {
		fields = append(fields,
			notify.Field{Name: "method_" + ev, Label: "Method for \"" + ev + "\"", Type: notify.FieldSelect, Default: "GET",
				Options: [][2]string{{"GET", "GET"}, {"POST", "POST"}, {"PUT", "PUT"}}},
			notify.Field{Name: "url_" + ev, Label: "URL for \"" + ev + "\"", Type: notify.FieldURL, MaxLen: maxURL,
				Help: "empty: no request for this event"},
			notify.Field{Name: "body_" + ev, Label: "Request body for \"" + ev + "\"", Type: notify.FieldTextarea, MaxLen: maxBody,
				Help: "sent with POST and PUT"},
			notify.Field{Name: "headers_" + ev, Label: "Request headers for \"" + ev + "\"", Type: notify.FieldTextarea,
				Help: "one \"Name: value\" per line"},
		)
	}
	return notify.Integration{
		Kind: "webhook",
		Name: "Webhook",
		Settings: []notify.Setting{{Name: "WEBHOOKS_ENABLED", Default: "True",
			Help: "False stops webhook sends (they fail with \"Webhook notifications are not enabled.\")"}},
		// config.Load has already refused any value but True, False and "".
		Enabled:  func(env notify.Env) bool { return env("WEBHOOKS_ENABLED") == "True" },
		Fields:   fields,
		FromForm: fromForm,
		ToForm:   toForm,
		Validate: validate,
		Events:   Events,
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			return &Transport{Client: d.Client}, nil
		},
		Example: `{"method_down": "POST", "url_down": "https://hooks.example.org/down?check=$NAME", "body_down": "$NAME is $STATUS", ` +
			`"headers_down": {"Content-Type": "text/plain"}, "method_up": "GET", "url_up": "", "body_up": "", "headers_up": {}}`,
	}
}

// ParseHeader reads one "Name: value" header line as upstream's
// HeadersField does: both parts required and trimmed, a name of latin-1
// characters (it goes out as bytes), each part at most 1,000 characters.
func ParseHeader(line string) (name, value string, err error) {
	name, value, ok := strings.Cut(line, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return "", "", fmt.Errorf("want \"Name: value\", got %q", line)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r > 0xff }) {
		return "", "", errors.New("header names must not contain special characters")
	}
	if utf8.RuneCountInString(name) > maxHeader || utf8.RuneCountInString(value) > maxHeader {
		return "", "", errors.New("a header name or value is limited to 1,000 characters")
	}
	return name, value, nil
}

// validURL is upstream's rule for a webhook URL: http or https with a host
// (no TLD needed: "http://home_server:8080/" is fine), at most 1,000 characters.
func validURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && utf8.RuneCountInString(s) <= maxURL && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// fromForm checks the fields in the order Overdue's CLI always has: a URL
// for at least one event, then for "down" and "up" in turn the URL, the
// method, the body and the headers.
func fromForm(form url.Values) (string, error) {
	if form.Get("url_down") == "" && form.Get("url_up") == "" {
		return "", &notify.FieldError{Msg: "a webhook needs {url_down}, {url_up} or both"}
	}
	doc := map[string]any{}
	for _, ev := range events {
		if u := form.Get("url_" + ev); u != "" && !validURL(u) {
			return "", &notify.FieldError{Field: "url_" + ev, Msg: "must be an http:// or https:// URL of at most 1,000 characters"}
		}
		m := strings.ToUpper(form.Get("method_" + ev))
		if m == "" {
			m = "GET"
		}
		if m != "GET" && m != "POST" && m != "PUT" {
			return "", &notify.FieldError{Field: "method_" + ev, Msg: "must be GET, POST or PUT"}
		}
		body := form.Get("body_" + ev)
		if utf8.RuneCountInString(body) > maxBody {
			return "", &notify.FieldError{Field: "body_" + ev, Msg: "is limited to 1,000 characters"}
		}
		headers := map[string]string{}
		for _, line := range strings.Split(form.Get("headers_"+ev), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			name, value, err := ParseHeader(line)
			if err != nil {
				return "", &notify.FieldError{Field: "headers_" + ev, Msg: err.Error()}
			}
			headers[name] = value
		}
		doc["url_"+ev], doc["method_"+ev], doc["body_"+ev], doc["headers_"+ev] = form.Get("url_"+ev), m, body, headers
	}
	// A map, so that keys come out sorted: the value Overdue has always stored.
	v, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode webhook configuration: %w", err)
	}
	return string(v), nil
}

func toForm(value string) url.Values {
	down, up, err := ParseConfig(value)
	if err != nil {
		return url.Values{}
	}
	form := url.Values{}
	for i, spec := range []Spec{down, up} {
		ev := events[i]
		form.Set("method_"+ev, spec.Method)
		form.Set("url_"+ev, spec.URL)
		form.Set("body_"+ev, spec.Body)
		names := make([]string, 0, len(spec.Headers))
		for k := range spec.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		lines := make([]string, len(names))
		for j, k := range names {
			lines[j] = k + ": " + spec.Headers[k]
		}
		form.Set("headers_"+ev, strings.Join(lines, "\n"))
	}
	return form
}

// validate applies the form's rules to a stored value.
func validate(value string) error {
	if _, _, err := ParseConfig(value); err != nil {
		return err
	}
	// Headers that are not all strings would have failed ParseConfig; the
	// form's rules see them as lines.
	_, err := fromForm(toForm(value))
	return err
}

// Events: an event whose URL is empty sends nothing, so a flip to it
// queues nothing (upstream's test_webhooks_handle_noop_up_events); a
// value that is not JSON takes neither.
func Events(value string) (up, down bool) {
	var v struct {
		URLDown string `json:"url_down"`
		URLUp   string `json:"url_up"`
	}
	if json.Unmarshal([]byte(value), &v) != nil {
		return false, false
	}
	return v.URLUp != "", v.URLDown != ""
}
