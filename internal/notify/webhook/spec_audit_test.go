package webhook

// Audit of the compatibility spec §5 (webhook row) against the transport:
// the cases no other test pinned.

import (
	"testing"

	"github.com/overdue/overdue/internal/notify"
)

// A send for an event without a URL (the channel was edited after the row
// was queued) fails with upstream's text once; retrying cannot help, and
// the channel stays enabled.
func TestSpecEmptyURLIsFinal(t *testing.T) {
	m := upstreamMessage("down", map[string]any{"method_down": "POST", "url_down": "", "body_down": "x", "headers_down": map[string]string{}}, t)
	err := sendOne(t, m)
	if notify.ErrorText(err) != "Empty webhook URL" || !notify.IsFinal(err) || notify.IsPermanent(err) {
		t.Errorf("err %v: final %v permanent %v, want a final, not permanent, error", err, notify.IsFinal(err), notify.IsPermanent(err))
	}
}
