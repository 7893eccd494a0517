package alerts

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/store"
)

// Tester sends the "test notification" of an integrations page: a message
// about a made-up check called TEST, delivered at once (no outbox, no
// retries), with the outcome kept on the channel as a real send's is.
type Tester struct {
	Store      *store.Store
	Transports notify.Registry
	// Events says which events a channel wants (kinds.Registry.Events).
	Events             func(ch model.Channel) (up, down bool)
	SiteRoot, SiteName string
	Now                func() time.Time
}

// ErrNoEvents is the test of a channel that sends neither event.
var ErrNoEvents = errors.New("this integration is set to send neither up nor down notifications")

// TestMessage is upstream's dummy: a check named TEST, pinged 42 times,
// last a day ago, that has just gone down (or, for a channel that only
// sends "up", come back up). The link leads to the project's checks,
// since the check does not exist.
func TestMessage(ch model.Channel, project model.Project, siteRoot, siteName string, up bool, now time.Time) *notify.Message {
	lastPing := now.Add(-24 * time.Hour)
	c := model.Check{Name: "TEST", ProjectID: ch.ProjectID, Kind: model.KindSimple, Timeout: 24 * time.Hour, Grace: time.Hour,
		TZ: "UTC", Status: model.StatusDown, NPings: 42, LastPing: &lastPing, Created: now.Add(-30 * 24 * time.Hour)}
	flip := model.Flip{Created: now, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Reason: "timeout"}
	if up {
		c.Status, flip.OldStatus, flip.NewStatus, flip.Reason = model.StatusUp, model.StatusDown, model.StatusUp, ""
	}
	root := strings.TrimRight(siteRoot, "/")
	return &notify.Message{Check: c, Channel: ch, Status: flip.NewStatus, Flip: flip, ProjectName: project.Name,
		CheckURL: root + "/projects/" + project.Code + "/checks/", SiteRoot: root, SiteName: siteName, Now: now, Test: true}
}

// Send delivers a test message through ch and records the outcome on it.
// The error is the send's, in the words users see (notify.ErrorText).
func (t *Tester) Send(ctx context.Context, ch model.Channel, project model.Project) error {
	up, down := true, true
	if t.Events != nil {
		up, down = t.Events(ch)
	}
	if !up && !down {
		return ErrNoEvents
	}
	now := t.Now()
	m := TestMessage(ch, project, t.SiteRoot, t.SiteName, !down, now)
	tr, err := t.Transports.Lookup(ch.Kind)
	if err == nil {
		err = tr.Send(ctx, m)
	}
	errText := ""
	if err != nil {
		if errText = notify.ErrorText(err); errText == "" {
			errText = "Failed"
		}
	}
	if rerr := t.Store.RecordChannelTest(ctx, ch.ID, now, t.Now().Sub(now), errText, err != nil && notify.IsPermanent(err)); rerr != nil {
		return errors.Join(err, rerr)
	}
	if err != nil {
		return errors.New(errText)
	}
	return nil
}
