package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/overdue/overdue/internal/model"
)

// channelChoice is one box of a notify.FieldChannels field (the group
// kind's members): one of the project's integrations.
type channelChoice struct {
	Code, Label string
	Checked     bool
}

// memberChannels are the integrations of p a group may send to: every
// one but the groups, as upstream's GroupForm offers (accounts.AddChannel
// refuses any other).
func (w *Web) memberChannels(ctx context.Context, p model.Project) ([]model.Channel, error) {
	all, err := w.d.Store.ListChannels(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(ch model.Channel) bool { return ch.Kind == "group" }), nil
}

// channelChoices are the boxes of a FieldChannels field, those in picked
// checked; nil (and a logged error) when the database fails, so that the
// page still shows.
func (w *Web) channelChoices(r *http.Request, p model.Project, picked []string) []channelChoice {
	chans, err := w.memberChannels(r.Context(), p)
	if err != nil {
		w.d.Log.Error("web: list member channels", "err", err)
		return nil
	}
	out := make([]channelChoice, 0, len(chans))
	for _, ch := range chans {
		label := ch.Name
		if label == "" {
			label = w.kindName(ch.Kind)
		}
		out = append(out, channelChoice{Code: ch.Code, Label: label, Checked: slices.Contains(picked, ch.Code)})
	}
	return out
}
