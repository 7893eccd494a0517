package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

// channelChoice is one box of a notify.FieldChannels field (the group
// kind's members): one of the project's integrations.
type channelChoice struct {
	Code, Label string
	Checked     bool
}

// memberChannels are the integrations of p a group may send to: every
// one but the groups, as upstream's GroupForm offers.
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

// checkChoices refuses a FieldChannels value that is not one of the
// project's member channels, as Django's MultipleChoiceField does with a
// choice it did not offer: a group never names another project's channel.
func (w *Web) checkChoices(ctx context.Context, p model.Project, in notify.Integration, form url.Values) error {
	for _, f := range in.Fields {
		if f.Type != notify.FieldChannels || len(form[f.Name]) == 0 {
			continue
		}
		chans, err := w.memberChannels(ctx, p)
		if err != nil {
			return err
		}
		for _, code := range form[f.Name] {
			if !slices.ContainsFunc(chans, func(ch model.Channel) bool { return ch.Code == code }) {
				return &notify.FieldError{Field: f.Name, Msg: "must be integrations of this project, other than groups"}
			}
		}
	}
	return nil
}
