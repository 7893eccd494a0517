package api

import (
	"context"

	"github.com/overdue/overdue/internal/model"
)

// CheckJSON returns a renderer of a check as API v3 shows it to a
// read-write key: the webhook integration's $JSON placeholder, which upstream
// fills with the same Check.to_dict. A failure to read the channel links
// leaves "channels" empty rather than failing the notification.
func CheckJSON(d APIDeps) func(ctx context.Context, c *model.Check) []byte {
	a := NewAPI(d).(*API)
	return func(ctx context.Context, c *model.Check) []byte {
		codes, err := a.st.CheckChannelCodes(ctx, c.ID)
		if err != nil {
			a.log.Warn("check JSON for a notification: channel links", "check", c.Code, "err", err)
		}
		return a.appendCheck(nil, c, codes, 3, false, a.now())
	}
}
