package email

import (
	"strings"
	"time"

	"github.com/overdue/overdue/internal/auth"
)

// unsubSalt is upstream's TimestampSigner salt for alert unsubscribe links
// (Channel.get_unsub_link).
const unsubSalt = "alerts"

// UnsubToken signs the channel's verification token (VerifyToken) the way
// upstream's Channel.get_unsub_link does, so links in emails that upstream
// sent before an import keep working here, and the other way round.
func UnsubToken(secretKey, channelCode string, now time.Time) string {
	return auth.TimestampSign(secretKey, unsubSalt, VerifyToken(secretKey, channelCode), now)
}

// UnsignUnsubToken checks an unsubscribe token's signature and returns the
// verification token it carries and when it was signed. Like upstream, the
// signature does not expire; whether the token belongs to a channel is for
// the caller to check (CheckVerifyToken).
func UnsignUnsubToken(secretKey, signed string) (token string, signedAt time.Time, err error) {
	return auth.TimestampUnsign(secretKey, unsubSalt, signed)
}

// UnsubURL is the one-click unsubscribe link, in upstream's URL shape.
func UnsubURL(siteRoot, channelCode, signed string) string {
	return strings.TrimRight(siteRoot, "/") + "/integrations/" + channelCode + "/unsub/" + signed + "/"
}
