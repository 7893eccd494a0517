// Package github is the GitHub channel kind: an issue in the channel's
// repository for every check that goes down (upstream sends nothing on
// "up"). A channel either carries its own token (a fine-grained personal
// access token with "Issues: write", the form self-hosted servers use),
// or, as upstream's channels do, the id of an installation of the
// operator's GitHub App, for which an installation token is minted with
// the App's private key for each send.
package github

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/slack"
)

// API is GitHub's REST API root; tests point Transport.API elsewhere.
const API = "https://api.github.com"

// repoRE is an "owner/name" that GitHub allows; it is put into the
// request's path, so nothing else may pass.
var repoRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,39}/[A-Za-z0-9_.-]{1,100}$`)

// Upstream's AddGitHubForm limits.
const (
	maxRepo   = 500
	maxLabels = 500
	maxToken  = 255
)

// Integration is the GitHub kind for the registry. Its stored value is
// upstream's {"installation_id": n, "repo": "owner/name", "labels": [...]},
// or {"token": ..., "repo": ..., "labels": [...]} for a channel with its
// own token.
func Integration() notify.Integration {
	return notify.Integration{
		Kind: "github",
		Name: "GitHub",
		Settings: []notify.Setting{
			{Name: "GITHUB_CLIENT_ID", Help: "the GitHub App's client id (channels set up through the App, as upstream's)"},
			{Name: "GITHUB_CLIENT_SECRET", Secret: true, Help: "the GitHub App's client secret: with the id and the key, the add page offers \"Connect GitHub\""},
			{Name: "GITHUB_PRIVATE_KEY", Secret: true, Help: "the GitHub App's private key (PEM): signs the requests for installation tokens"},
			{Name: "GITHUB_PUBLIC_LINK", Help: "the GitHub App's public page (https://github.com/apps/<name>): where users install it"},
		},
		Fields: []notify.Field{
			{Name: "repo_name", Label: "Repository", Type: notify.FieldText, Required: true, MaxLen: maxRepo,
				Help: "owner/name of the repository new issues go to"},
			{Name: "labels", Label: "Labels", Type: notify.FieldText, MaxLen: maxLabels,
				Help: "comma-separated labels for the new issues (optional)"},
			{Name: "token", Label: "Access token", Type: notify.FieldPassword, Required: true, MaxLen: maxToken,
				Help: "a fine-grained personal access token with read and write access to the repository's issues"},
		},
		FromForm: fromForm,
		Validate: validate,
		Events:   notify.DownOnly,
		OAuth:    OAuth(Web, API),
		New: func(d notify.Deps) (notify.Transport, error) {
			if d.Client == nil {
				return nil, errors.New("no HTTP client")
			}
			t := &Transport{Client: d.Client, API: API, AppID: d.Env("GITHUB_CLIENT_ID")}
			if pem := d.Env("GITHUB_PRIVATE_KEY"); pem != "" {
				key, err := ParsePrivateKey(pem)
				if err != nil {
					return nil, fmt.Errorf("GITHUB_PRIVATE_KEY: %w", err)
				}
				t.AppKey = key
			}
			return t, nil
		},
		Example: `{"labels":["outage"],"repo":"alice/backups","token":"github_pat_0123456789"}`,
	}
}

// Config is the stored value.
type Config struct {
	InstallationID int64    `json:"installation_id,omitempty"`
	Token          string   `json:"token,omitempty"`
	Repo           string   `json:"repo"`
	Labels         []string `json:"labels"`
}

func fromForm(form url.Values) (string, error) {
	repo := strings.TrimSpace(form.Get("repo_name"))
	labels := form.Get("labels")
	token := strings.TrimSpace(form.Get("token"))
	switch {
	case repo == "":
		return "", &notify.FieldError{Field: "repo_name", Msg: "is required"}
	case utf8.RuneCountInString(repo) > maxRepo || !validRepo(repo):
		return "", &notify.FieldError{Field: "repo_name", Msg: "must be a repository's owner/name, such as alice/backups"}
	case utf8.RuneCountInString(labels) > maxLabels:
		return "", &notify.FieldError{Field: "labels", Msg: "must be at most 500 characters"}
	case strings.ContainsFunc(labels, isControl):
		return "", &notify.FieldError{Field: "labels", Msg: "must not contain control characters"}
	}
	if err := checkToken(token); err != nil {
		return "", err
	}
	c := Config{Token: token, Repo: repo, Labels: SplitLabels(labels)}
	v, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("encode github configuration: %w", err)
	}
	return string(v), nil
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

func validRepo(repo string) bool {
	_, name, _ := strings.Cut(repo, "/")
	return repoRE.MatchString(repo) && name != "." && name != ".."
}

func checkToken(token string) error {
	switch {
	case token == "":
		return &notify.FieldError{Field: "token", Msg: "is required"}
	case len(token) > maxToken || strings.ContainsFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }):
		return &notify.FieldError{Field: "token", Msg: "must be a GitHub token: at most 255 letters, digits and _"}
	}
	return nil
}

// SplitLabels is upstream's get_labels: the comma-separated parts,
// stripped, empty ones dropped.
func SplitLabels(s string) []string {
	out := []string{}
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// Parse reads a stored value: a repository, and either a token or an
// installation id.
func Parse(value string) (Config, error) {
	var c Config
	if err := json.Unmarshal([]byte(value), &c); err != nil {
		return c, fmt.Errorf("github configuration is not a JSON object with \"repo\", \"labels\" and \"token\" or \"installation_id\": %w", err)
	}
	if !validRepo(c.Repo) {
		return c, &notify.FieldError{Field: "repo_name", Msg: "must be a repository's owner/name, such as alice/backups"}
	}
	if c.Token == "" && c.InstallationID <= 0 {
		return c, &notify.FieldError{Field: "token", Msg: "is required"}
	}
	if c.Token != "" {
		return c, checkToken(c.Token)
	}
	return c, nil
}

func validate(value string) error { _, err := Parse(value); return err }

// Transport creates issues.
type Transport struct {
	Client *notify.Client
	// API is the REST API root.
	API string
	// AppID and AppKey are the GitHub App's (GITHUB_CLIENT_ID and the
	// parsed GITHUB_PRIVATE_KEY); nil AppKey: installation channels fail
	// with upstream's "not enabled".
	AppID  string
	AppKey *AppKey
}

// Title is upstream's github_title.html. Issue titles are plain text.
func Title(m *notify.Message) string {
	return notify.Tmpl(m.Check.NameThenCode() + " is " + strings.ToUpper(m.Status))
}

// text escapes what the check's owner typed for GitHub's Markdown: the
// HTML escaping upstream's template does, inline Markdown, and mentions,
// which would otherwise notify whoever a check named "@alice" names.
func text(s string) string { return notify.EscapeHTML(slack.NoMentions(slack.EscapeMarkdown(s))) }

// Body is upstream's github_body.html: a Markdown summary, with the last
// ping's body in a <pre> unless it holds a code fence.
func Body(m *notify.Message) string {
	ch := &m.Check
	first := "The check [" + text(ch.NameThenCode()) + "](" + m.CheckURL + ") is **DOWN**"
	if m.Flip.Reason != "" {
		first += " (" + notify.ReasonLong(m.Flip.Reason) + ")"
	}
	lines := []string{first + ".", ""}
	if m.ProjectName != "" {
		lines = append(lines, "**Project:** "+text(m.ProjectName))
	}
	if tags := ch.TagsList(); len(tags) > 0 {
		s := "**Tags:** "
		for _, tag := range tags {
			s += codeSpan(tag) + " "
		}
		lines = append(lines, s)
	}
	switch ch.Kind {
	case model.KindSimple:
		lines = append(lines, "**Period:** "+humanize.Duration(ch.Timeout))
	case model.KindCron, model.KindOnCalendar:
		lines = append(lines, "**Schedule:** "+codeSpan(ch.Schedule), "**Time Zone:** "+text(ch.TZ))
	}
	lines = append(lines, "**Total Pings:** "+notify.TotalPings(m))
	if m.LastPing == nil {
		lines = append(lines, "**Last Ping:** Never")
	} else {
		lines = append(lines, "**Last Ping:** "+notify.LastPingText(m))
	}
	if body := notify.PingBody(m, 1000); body != "" && !strings.Contains(body, "```") {
		lines = append(lines, "**Last Ping Body:**", "<pre>"+notify.EscapeHTML(body)+"</pre>")
	}
	return notify.Tmpl(strings.Join(lines, "\n"))
}

// codeSpan is s as inline code. Upstream HTML-escapes a tag there, which
// GitHub then shows as "&lt;": a code span is read literally (no HTML, no
// Markdown, no mentions), so only a backtick in s needs care, and gets a
// longer fence (CommonMark's rule), padded when s starts or ends with one.
func codeSpan(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest == 0 {
		return "`" + s + "`"
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + s + " " + fence
}

// issue is the request's JSON document.
type issue struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Labels []string `json:"labels"`
}

// Send opens the issue of a "down" message; "up" is a no-op.
func (t *Transport) Send(ctx context.Context, m *notify.Message) error {
	if m.Status != model.StatusDown {
		return nil
	}
	c, err := Parse(m.Channel.Value)
	if err != nil {
		return notify.FailFinal("Invalid GitHub configuration")
	}
	token := c.Token
	if token == "" {
		if t.AppKey == nil || t.AppID == "" {
			return notify.FailFinal("GitHub notifications are not enabled.")
		}
		if token, err = t.installationToken(ctx, c.InstallationID, m); err != nil {
			return err
		}
		if token == "" {
			return notify.Fail("GitHub denied access to " + c.Repo)
		}
	}
	tries := notify.Attempts
	if m.Test {
		tries = 1
	}
	_, err = t.Client.SendJSON(ctx, notify.JSONRequest{
		URL:      strings.TrimRight(t.API, "/") + "/repos/" + c.Repo + "/issues",
		Header:   map[string]string{"Authorization": "Bearer " + token},
		Body:     issue{Title: Title(m), Body: Body(m), Labels: labels(c.Labels)},
		Attempts: tries,
		Refuse:   refuse,
	})
	return err
}

func labels(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// refuse: 410 (issues disabled, repository gone) will not change, and
// disables the channel, as upstream; a revoked token (401) is retried
// like any other status, as upstream.
func refuse(r *notify.Response) error {
	msg := notify.StatusText(r.StatusCode)
	if r.StatusCode == http.StatusGone {
		return notify.FailPermanent(msg)
	}
	return notify.Fail(msg)
}

// installationToken is upstream's get_installation_access_token: "" when
// GitHub has no such installation (404: the App was uninstalled).
func (t *Transport) installationToken(ctx context.Context, id int64, m *notify.Message) (string, error) {
	jwt, err := t.AppKey.JWT(t.AppID, m.Now)
	if err != nil {
		return "", notify.FailFinal("Could not sign the GitHub App token")
	}
	u := strings.TrimRight(t.API, "/") + "/app/installations/" + strconv.FormatInt(id, 10) + "/access_tokens"
	resp, err := t.Client.SendForm(ctx, notify.FormRequest{URL: u, Header: map[string]string{"Authorization": "Bearer " + jwt}, Attempts: 1,
		Refuse: func(r *notify.Response) error { return notify.Fail(notify.StatusText(r.StatusCode)) }})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var doc struct {
		Token string `json:"token"`
	}
	if json.Unmarshal(resp.Body, &doc) != nil || doc.Token == "" {
		return "", notify.Fail("Unexpected response from GitHub")
	}
	return doc.Token, nil
}
