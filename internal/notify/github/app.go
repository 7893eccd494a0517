package github

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/notify"
)

// Web is GitHub's site, where users authorize the App (tests point OAuth
// elsewhere).
const Web = "https://github.com"

var (
	errUnexpected = &notify.Error{Msg: "Received an unexpected response from GitHub. Integration not added."}
	errRevoked    = &notify.Error{Msg: "GitHub setup failed, GitHub access was revoked."}
)

// maxPages bounds the pages of 100 repositories read per installation.
const maxPages = 10

// OAuth is upstream's GitHub App set-up: the user authorizes the App at
// web, the code is traded for a user access token, and the repositories
// of the App's installations that the user can reach are offered; the
// channel keeps the installation's id, and each send mints an
// installation token with the App's key (Transport). The user's token is
// used only during the set-up.
func OAuth(web, api string) *notify.OAuth {
	a := app{web: strings.TrimRight(web, "/"), api: strings.TrimRight(api, "/")}
	return &notify.OAuth{
		Callback: "/integrations/add_github/",
		Authorize: func(env notify.Env, redirect, state string) string {
			// Without the secret no code can be traded, and without the key
			// no issue can be opened: offer the App only with all three.
			if env("GITHUB_CLIENT_ID") == "" || env("GITHUB_CLIENT_SECRET") == "" || env("GITHUB_PRIVATE_KEY") == "" {
				return ""
			}
			return a.web + "/login/oauth/authorize?" + url.Values{"client_id": {env("GITHUB_CLIENT_ID")}, "redirect_uri": {redirect}, "state": {state}}.Encode()
		},
		Choose: a.choose,
		Save:   a.save,
	}
}

type app struct{ web, api string }

func (a app) choose(ctx context.Context, c *notify.Client, env notify.Env, query url.Values, _ string) (*notify.OAuthChoice, error) {
	code := query.Get("code")
	if code == "" {
		return nil, fmt.Errorf("github: no code in the callback: %w", errUnexpected)
	}
	var doc struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	status, err := notify.PostToken(ctx, c, notify.FormRequest{URL: a.web + "/login/oauth/access_token",
		Header: map[string]string{"Accept": "application/vnd.github+json"},
		Form:   url.Values{"client_id": {env("GITHUB_CLIENT_ID")}, "client_secret": {env("GITHUB_CLIENT_SECRET")}, "code": {code}},
	}, &doc, errUnexpected)
	if err != nil {
		return nil, err
	}
	if doc.AccessToken == "" || checkToken(doc.AccessToken) != nil {
		// GitHub answers 200 with {"error": "bad_verification_code"}.
		return nil, fmt.Errorf("github access_token: status %d, error %.100q: %w", status, doc.Error, errUnexpected)
	}
	repos, err := a.repos(ctx, c, doc.AccessToken)
	if err != nil {
		return nil, err
	}
	choice := &notify.OAuthChoice{
		Grant: []byte(doc.AccessToken),
		Label: "Repository",
		Empty: "The GitHub App is not installed on any repository you can reach yet.",
		Fields: []notify.Field{{Name: "labels", Label: "Issue labels", Type: notify.FieldText, MaxLen: maxLabels,
			Help: "attached to the issues; separate several with commas"}},
	}
	for _, name := range slices.Sorted(maps.Keys(repos)) {
		choice.Options = append(choice.Options, [2]string{name, name})
	}
	if link := strings.TrimRight(env("GITHUB_PUBLIC_LINK"), "/"); link != "" {
		choice.Link, choice.LinkText = link+"/installations/new", "Install the GitHub App on another account or repository…"
	}
	return choice, nil
}

// save re-reads the user's repositories, as upstream does, so that only a
// repository the user can still reach is kept, with its installation.
func (a app) save(ctx context.Context, c *notify.Client, _ notify.Env, grant []byte, form url.Values) (notify.OAuthChannel, error) {
	repo, labels := form.Get("option"), form.Get("labels")
	switch {
	case utf8.RuneCountInString(labels) > maxLabels:
		return notify.OAuthChannel{}, &notify.FieldError{Msg: "Issue labels must be at most 500 characters."}
	case strings.ContainsFunc(labels, isControl):
		return notify.OAuthChannel{}, &notify.FieldError{Msg: "Issue labels must not contain control characters."}
	}
	repos, err := a.repos(ctx, c, string(grant))
	if err != nil {
		return notify.OAuthChannel{}, err
	}
	inst, ok := repos[repo]
	if !ok {
		return notify.OAuthChannel{}, &notify.FieldError{Msg: "That repository is not one the GitHub App can reach for you. Integration not added."}
	}
	v, err := json.Marshal(Config{InstallationID: inst, Repo: repo, Labels: SplitLabels(labels)})
	if err != nil {
		return notify.OAuthChannel{}, fmt.Errorf("encode github configuration: %w", err)
	}
	return notify.OAuthChannel{Name: repo, Value: string(v)}, nil
}

// repos maps each repository ("owner/name") of the App's installations
// that the user's token reaches to its installation's id.
func (a app) repos(ctx context.Context, c *notify.Client, token string) (map[string]int64, error) {
	header := map[string]string{"Authorization": "Bearer " + token, "Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
	var insts struct {
		Installations []struct {
			ID int64 `json:"id"`
		} `json:"installations"`
	}
	status, err := notify.GetJSON(ctx, c, a.api+"/user/installations?per_page=100", header, &insts, errUnexpected)
	if status == http.StatusUnauthorized {
		// {"message": "Bad credentials"}: the user revoked the App.
		return nil, errRevoked
	}
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, inst := range insts.Installations {
		if inst.ID <= 0 {
			return nil, fmt.Errorf("github: installation id %d: %w", inst.ID, errUnexpected)
		}
		for page := 1; page <= maxPages; page++ {
			var doc struct {
				Repositories *[]struct {
					FullName string `json:"full_name"`
				} `json:"repositories"`
			}
			u := a.api + "/user/installations/" + strconv.FormatInt(inst.ID, 10) + "/repositories?per_page=100&page=" + strconv.Itoa(page)
			status, err := notify.GetJSON(ctx, c, u, header, &doc, errUnexpected)
			if status == http.StatusUnauthorized {
				return nil, errRevoked
			}
			if err != nil {
				return nil, err
			}
			if doc.Repositories == nil {
				return nil, fmt.Errorf("github: %s: no repositories in the answer: %w", u, errUnexpected)
			}
			for _, r := range *doc.Repositories {
				if validRepo(r.FullName) {
					out[r.FullName] = inst.ID
				}
			}
			if len(*doc.Repositories) < 100 {
				break
			}
		}
	}
	return out, nil
}
