package web

import (
	"time"

	"github.com/overdue/overdue/internal/notify"
)

// OAuthState is the state of a kind's OAuth round-trip for a session,
// made at now, for the tests.
func OAuthState(secret, session, kind, project string, now time.Time) string {
	return makeSeal(secret, session, oauthPurpose(notify.Kind(kind)), project, nil, now)
}
