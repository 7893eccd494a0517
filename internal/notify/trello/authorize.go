package trello

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/notify"
)

// Trello's site, where the user authorizes the key, and its API root
// (tests point OAuth at others).
const (
	Web = "https://trello.com"
	API = "https://api.trello.com"
)

var errUnexpected = &notify.Error{Msg: "Received an unexpected response from Trello. Integration not added."}

// OAuth is upstream's Trello set-up: Trello's authorize page gives a
// never-expiring read/write token for TRELLO_APP_KEY, which it hands back
// in the return URL's fragment (hence Fragment); the user's open boards
// and lists are then offered, and the picked list is stored as the form
// would store it.
func OAuth(web, api string) *notify.OAuth {
	a := authorizer{web: strings.TrimRight(web, "/"), api: strings.TrimRight(api, "/")}
	return &notify.OAuth{
		Callback: "/integrations/add_trello/settings/",
		Fragment: true,
		Authorize: func(env notify.Env, redirect, state string) string {
			key := env("TRELLO_APP_KEY")
			if key == "" {
				return ""
			}
			name := env("SITE_NAME")
			if name == "" {
				name = "Overdue"
			}
			return a.web + "/1/authorize?" + url.Values{"expiration": {"never"}, "name": {name}, "scope": {"read,write"},
				"response_type": {"token"}, "callback_method": {"fragment"}, "key": {key},
				"return_url": {redirect + "?" + url.Values{"state": {state}}.Encode()}}.Encode()
		},
		Choose: a.choose,
		Save:   a.save,
	}
}

type authorizer struct{ web, api string }

// Board is one of the user's open boards with its open lists, as
// members/me/boards answers.
type Board struct {
	ID    *string `json:"id"`
	Name  *string `json:"name"`
	Lists *[]struct {
		ID   *string `json:"id"`
		Name *string `json:"name"`
	} `json:"lists"`
}

// boards reads the user's open boards and lists: upstream's request.
func (a authorizer) boards(ctx context.Context, c *notify.Client, key, token string) ([]Board, error) {
	if token == "" || checkToken(token) != nil {
		return nil, fmt.Errorf("trello: no usable token: %w", errUnexpected)
	}
	u := a.api + "/1/members/me/boards?" + url.Values{"key": {key}, "token": {token}, "filter": {"open"}, "fields": {"id,name"},
		"lists": {"open"}, "list_fields": {"id,name"}}.Encode()
	var boards []Board
	if _, err := notify.GetJSON(ctx, c, u, nil, &boards, errUnexpected); err != nil {
		return nil, err
	}
	for _, b := range boards {
		if b.ID == nil || b.Name == nil || b.Lists == nil {
			return nil, fmt.Errorf("trello: a board without id, name or lists: %w", errUnexpected)
		}
		for _, l := range *b.Lists {
			if l.ID == nil || l.Name == nil {
				return nil, fmt.Errorf("trello: a list without id or name: %w", errUnexpected)
			}
		}
	}
	return boards, nil
}

func checkToken(t string) error {
	return check(Config{Token: t, BoardName: "-", ListName: "-", ListID: "0123456789abcdef"}, true)
}

func (a authorizer) choose(ctx context.Context, c *notify.Client, env notify.Env, query url.Values, _ string) (*notify.OAuthChoice, error) {
	token := query.Get("token")
	boards, err := a.boards(ctx, c, env("TRELLO_APP_KEY"), token)
	if err != nil {
		return nil, err
	}
	choice := &notify.OAuthChoice{Grant: []byte(token), Label: "Board and list",
		Empty: "Your Trello account has no open board with an open list. Add one at Trello, then connect again."}
	for _, b := range boards {
		for _, l := range *b.Lists {
			if listIDRE.MatchString(*l.ID) {
				choice.Options = append(choice.Options, [2]string{*l.ID, *b.Name + " / " + *l.Name})
			}
		}
	}
	return choice, nil
}

// save reads the boards again, so that the stored names are Trello's and
// the list is one the token reaches.
func (a authorizer) save(ctx context.Context, c *notify.Client, env notify.Env, grant []byte, form url.Values) (notify.OAuthChannel, error) {
	boards, err := a.boards(ctx, c, env("TRELLO_APP_KEY"), string(grant))
	if err != nil {
		return notify.OAuthChannel{}, err
	}
	for _, b := range boards {
		for _, l := range *b.Lists {
			if *l.ID == form.Get("option") {
				v, err := fromForm(url.Values{"token": {string(grant)}, "board_name": {fit(*b.Name)}, "list_name": {fit(*l.Name)}, "list_id": {*l.ID}})
				if err != nil {
					return notify.OAuthChannel{}, fmt.Errorf("trello: the picked list: %v: %w", err, errUnexpected)
				}
				return notify.OAuthChannel{Value: v}, nil
			}
		}
	}
	return notify.OAuthChannel{}, &notify.FieldError{Msg: "That list is not one of your open Trello lists. Integration not added."}
}

// fit makes a Trello name one that the form takes: no control
// characters, at most 100 characters, "-" for none.
func fit(s string) string {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s))
	if r := []rune(s); len(r) > 100 {
		s = strings.TrimSpace(string(r[:100]))
	}
	if s == "" {
		s = "-"
	}
	return s
}
