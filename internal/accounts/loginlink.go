package accounts

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
)

// LoginLinkAge is how long an emailed login link works: upstream's login
// tokens last one hour.
const LoginLinkAge = time.Hour

// LoginLink makes a one-time login link for a user: the database keeps
// only the token's hash, the link carries the token. The path is
// upstream's /accounts/check_token/<user>/<token>/; next (a path on this
// site, already checked by the caller) is where the link lands.
func (a *Accounts) LoginLink(ctx context.Context, userID int64, next string) (string, error) {
	token := auth.NewToken(32)
	if err := a.o.Store.CreateLoginToken(ctx, auth.HashAPIKey(token), userID, a.o.Clock().Add(LoginLinkAge)); err != nil {
		return "", fmt.Errorf("login link: %w", err)
	}
	link := strings.TrimSuffix(a.o.SiteRoot, "/") + "/accounts/check_token/" + strconv.FormatInt(userID, 10) + "/" + token + "/"
	if next != "" {
		link += "?next=" + url.QueryEscape(next)
	}
	return link, nil
}
