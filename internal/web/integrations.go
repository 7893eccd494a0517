package web

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/alerts"
	"github.com/overdue/overdue/internal/humanize"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/ping"
	"github.com/overdue/overdue/internal/store"
)

// The integrations pages: a project's channels with their state, a form
// per kind from the registry (Fields in, FromForm out, through
// accounts.AddChannel), and the per-channel actions of upstream's page:
// assign checks, rename, test, remove.

type channelRow struct {
	model.Channel
	KindName   string
	Checks     int
	LastNotify string
	// Up and Down are the events the channel sends; Editable: its kind
	// has an edit page.
	Up, Down, Editable bool
}

type addLink struct {
	Kind notify.Kind
	Name string
}

type integrationsPage struct {
	Project model.Project
	Role    model.Role
	Rows    []channelRow
	Add     []addLink
	// Tested is the channel whose test just ran: the page shows its
	// outcome, read back from the channel.
	Tested *channelRow
}

// enabled are the kinds a channel can be added of here: a form, a
// transport, and the operator's go-ahead.
func (w *Web) enabled() []notify.Integration {
	var out []notify.Integration
	for _, in := range w.d.Kinds.Addable() {
		if in.Enabled == nil || in.Enabled(in.EnvFrom(w.d.Getenv)) {
			out = append(out, in)
		}
	}
	return out
}

func (w *Web) kindName(kind string) string {
	if in, ok := w.d.Kinds.Lookup(notify.Kind(kind)); ok {
		return in.Name
	}
	return kind
}

func (w *Web) integrationsPage(rw http.ResponseWriter, r *http.Request) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return
	}
	ctx := r.Context()
	chans, err := w.d.Store.ListChannels(ctx, p.ID)
	if err != nil {
		w.unavailable(rw, r, "list channels", err)
		return
	}
	counts, err := w.d.Store.ChannelCheckCounts(ctx, p.ID)
	if err != nil {
		w.unavailable(rw, r, "count channel checks", err)
		return
	}
	now := w.d.Now()
	d := integrationsPage{Project: p, Role: role}
	for _, ch := range chans {
		row := channelRow{Channel: ch, KindName: w.kindName(ch.Kind), Checks: counts[ch.ID], LastNotify: "never"}
		row.Up, row.Down = w.d.Kinds.Events(ch)
		if in, ok := w.d.Kinds.Lookup(notify.Kind(ch.Kind)); ok {
			row.Editable = in.ToForm != nil && in.FromForm != nil
		}
		if ch.LastNotify != nil {
			row.LastNotify = humanize.NaturalTime(*ch.LastNotify, now)
		}
		d.Rows = append(d.Rows, row)
	}
	// Upstream lists groups first, then by creation.
	slices.SortStableFunc(d.Rows, func(a, b channelRow) int {
		return boolRank(b.Kind == "group") - boolRank(a.Kind == "group")
	})
	if t := r.URL.Query().Get("tested"); t != "" {
		for i := range d.Rows {
			if d.Rows[i].Code == t {
				d.Tested = &d.Rows[i]
			}
		}
	}
	if role.CanWrite() {
		for _, in := range w.enabled() {
			d.Add = append(d.Add, addLink{Kind: in.Kind, Name: in.Name})
		}
	}
	w.render(rw, r, http.StatusOK, "integrations.html", "Integrations · "+projectTitle(p), d)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func projectTitle(p model.Project) string {
	if p.Name == "" {
		return "Unnamed project"
	}
	return p.Name
}

// formField is one input of a kind's form as the page shows it.
type formField struct {
	notify.Field
	Value   string
	Checked bool
	Error   string
	Choices []channelChoice // for notify.FieldChannels
}

type addChannelPage struct {
	Project model.Project
	Kind    notify.Kind
	KindNm  string
	Name    string
	NameErr string
	Fields  []formField
	Error   string
	// Action is where the form posts; Editing marks the edit page, where
	// an empty secret field keeps the stored secret.
	Action  string
	Editing bool
	// Connect is the provider's page of the kind's OAuth set-up, or "".
	Connect string
}

// kindFor is the integration of k if it is enabled; an add page of a kind
// that is off answers 404, as upstream's do.
func (w *Web) kindFor(k notify.Kind) (notify.Integration, bool) {
	for _, in := range w.enabled() {
		if in.Kind == k {
			return in, true
		}
	}
	return notify.Integration{}, false
}

// addPage is the project and kind of an add page the user may use; it
// answers the request itself when not (log-in, 404 for a kind that is off,
// 403 for a read-only member).
func (w *Web) addPage(rw http.ResponseWriter, r *http.Request, k notify.Kind) (model.Project, notify.Integration, bool) {
	p, role, ok := w.projectFor(rw, r)
	if !ok {
		return p, notify.Integration{}, false
	}
	in, ok := w.kindFor(k)
	if !ok {
		w.notFound(rw)
		return p, in, false
	}
	if !role.CanWrite() {
		w.forbidden(rw, r)
		return p, in, false
	}
	return p, in, true
}

func (w *Web) addChannelForm(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	p, in, ok := w.addPage(rw, r, k)
	if !ok {
		return
	}
	w.renderAddChannel(rw, r, http.StatusOK, p, in, url.Values{}, nil)
}

func (w *Web) renderAddChannel(rw http.ResponseWriter, r *http.Request, status int, p model.Project, in notify.Integration, form url.Values, err error) {
	d := addChannelPage{Action: w.base + "/projects/" + p.Code + "/add_" + string(in.Kind) + "/"}
	w.renderChannelForm(rw, r, status, &d, p, in, form, err)
}

// renderChannelForm fills d (the add or the edit page) with the kind's
// fields, the submitted or stored values, and err's messages.
func (w *Web) renderChannelForm(rw http.ResponseWriter, r *http.Request, status int, d *addChannelPage, p model.Project, in notify.Integration, form url.Values, err error) {
	d.Project, d.Kind, d.KindNm, d.Name = p, in.Kind, in.Name, form.Get("name")
	if !d.Editing {
		d.Connect = w.connectURL(r, in, p.Code)
	}
	var fe *notify.FieldError
	errors.As(err, &fe)
	label := func(name string) string {
		for _, f := range in.Fields {
			if f.Name == name {
				return f.Label
			}
		}
		return name
	}
	for _, f := range in.Fields {
		ff := formField{Field: f, Value: f.Default}
		if vs, sent := form[f.Name]; sent || len(form) > 0 {
			ff.Value = strings.Join(vs, "")
		}
		ff.Checked = f.Type == notify.FieldCheckbox && (notify.Checked(form, f.Name) || len(form) == 0 && f.Default == "on")
		if f.Type == notify.FieldPassword {
			ff.Value = "" // a secret is never sent back to the browser
			if d.Editing {
				ff.Required = false
				ff.Help = strings.TrimSpace(ff.Help + " Leave empty to keep the current one.")
			}
		}
		if f.Type == notify.FieldChannels {
			ff.Choices = w.channelChoices(r, p, form[f.Name])
		}
		if fe != nil && fe.Field == f.Name {
			ff.Error = fe.Text(label)
		}
		d.Fields = append(d.Fields, ff)
	}
	switch {
	case errors.Is(err, accounts.ErrChannelName):
		d.NameErr = "The name is limited to 100 characters."
	case fe != nil && (fe.Field == "" || !slices.ContainsFunc(in.Fields, func(f notify.Field) bool { return f.Name == fe.Field })):
		d.Error = fe.Text(label)
	case fe == nil && err != nil:
		d.Error = "This integration cannot be saved: " + err.Error()
	}
	title := "Add " + in.Name
	if d.Editing {
		title = "Edit " + in.Name
	}
	w.render(rw, r, status, "addchannel.html", title+" · "+projectTitle(p), d)
}

// editChannel is upstream's /integrations/<uuid>/edit/ for the kinds that
// can show a stored value as their form (ToForm): the add page's form,
// filled in, saved through accounts.EditChannel.
func (w *Web) editChannel(rw http.ResponseWriter, r *http.Request) {
	ch, p, ok := w.channelFor(rw, r, true)
	if !ok {
		return
	}
	in, found := w.d.Kinds.Lookup(notify.Kind(ch.Kind))
	if !found || in.ToForm == nil || in.FromForm == nil {
		w.notFound(rw)
		return
	}
	d := addChannelPage{Action: w.base + "/integrations/" + ch.Code + "/edit/", Editing: true}
	stored := in.ToForm(ch.Value)
	if r.Method != http.MethodPost {
		stored.Set("name", ch.Name)
		w.renderChannelForm(rw, r, http.StatusOK, &d, p, in, stored, nil)
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	// The page never shows a secret, so an empty secret field means
	// "unchanged".
	for _, f := range in.Fields {
		if f.Type == notify.FieldPassword && strings.TrimSpace(form.Get(f.Name)) == "" {
			form[f.Name] = stored[f.Name]
		}
	}
	edited, err := w.d.Accounts.EditChannel(r.Context(), ch, p.OwnerID, strings.TrimSpace(form.Get("name")), form)
	var ve *accounts.VerificationError
	switch {
	case errors.As(err, &ve):
		w.render(rw, r, http.StatusOK, "message.html", "Integration saved",
			"The new address was saved, but the verification email to "+ve.Address+" could not be sent. Edit it again later to resend.")
		return
	case err != nil && isInputError(err):
		w.renderChannelForm(rw, r, http.StatusBadRequest, &d, p, in, form, err)
		return
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
		return
	case err != nil:
		w.unavailable(rw, r, "edit channel", err)
		return
	}
	if edited.VerificationSent {
		w.render(rw, r, http.StatusOK, "message.html", "Check your email",
			"A verification link was sent to the new address. Notifications go out once it has been opened.")
		return
	}
	w.toIntegrations(rw, r, p, "")
}

func (w *Web) addChannel(rw http.ResponseWriter, r *http.Request, k notify.Kind) {
	p, in, ok := w.addPage(rw, r, k)
	if !ok {
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	added, err := w.d.Accounts.AddChannel(r.Context(), accounts.NewChannel{Project: p.Code, Kind: in.Kind, Name: strings.TrimSpace(form.Get("name")), Form: form})
	var ve *accounts.VerificationError
	switch {
	case errors.As(err, &ve):
		w.render(rw, r, http.StatusOK, "message.html", "Integration added",
			"The integration was added, but the verification email to "+ve.Address+" could not be sent. Remove it and try again later.")
		return
	case err != nil && isInputError(err):
		w.renderAddChannel(rw, r, http.StatusBadRequest, p, in, form, err)
		return
	case err != nil:
		w.unavailable(rw, r, "add channel", err)
		return
	}
	if added.VerificationSent {
		w.render(rw, r, http.StatusOK, "message.html", "Check your email",
			"A verification link was sent to "+added.Channel.Value+". Notifications go out once it has been opened.")
		return
	}
	http.Redirect(rw, r, w.base+"/projects/"+p.Code+"/integrations/", http.StatusSeeOther)
}

// isInputError tells a refusal of the user's input from a failure of ours.
func isInputError(err error) bool {
	var fe *notify.FieldError
	return errors.As(err, &fe) || errors.Is(err, accounts.ErrChannelName) || errors.Is(err, accounts.ErrNUL)
}

// channelFor finds the URL's {code} channel as the user may see it, with
// its project and the user's role there; for a write, a read-only member
// gets 403. Like projectFor, it answers the request itself when not ok.
func (w *Web) channelFor(rw http.ResponseWriter, r *http.Request, write bool) (model.Channel, model.Project, bool) {
	u := userFrom(r.Context())
	if u == nil {
		http.Redirect(rw, r, w.base+"/accounts/login/", http.StatusFound)
		return model.Channel{}, model.Project{}, false
	}
	code := r.PathValue("code")
	if !ping.IsCanonicalUUID(code) {
		w.notFound(rw)
		return model.Channel{}, model.Project{}, false
	}
	ctx := r.Context()
	ch, err := w.d.Store.ChannelByCode(ctx, code)
	var p model.Project
	if err == nil {
		p, err = w.d.Store.ProjectByID(ctx, ch.ProjectID)
	}
	var role model.Role
	if err == nil {
		p, role, err = w.d.Store.ProjectAccess(ctx, p.Code, u.ID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		w.notFound(rw)
		return model.Channel{}, model.Project{}, false
	case err != nil:
		w.unavailable(rw, r, "read channel", err)
		return model.Channel{}, model.Project{}, false
	case write && !role.CanWrite():
		w.forbidden(rw, r)
		return model.Channel{}, model.Project{}, false
	}
	return ch, p, true
}

func (w *Web) toIntegrations(rw http.ResponseWriter, r *http.Request, p model.Project, query string) {
	http.Redirect(rw, r, w.base+"/projects/"+p.Code+"/integrations/"+query, http.StatusSeeOther)
}

func (w *Web) removeChannel(rw http.ResponseWriter, r *http.Request) {
	ch, p, ok := w.channelFor(rw, r, true)
	if !ok {
		return
	}
	if err := w.d.Store.DeleteChannel(r.Context(), ch.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "delete channel", err)
		return
	}
	w.toIntegrations(rw, r, p, "")
}

func (w *Web) renameChannel(rw http.ResponseWriter, r *http.Request) {
	ch, p, ok := w.channelFor(rw, r, true)
	if !ok {
		return
	}
	form, ok := w.form(rw, r)
	if !ok {
		return
	}
	name := strings.TrimSpace(form.Get("name"))
	if utf8.RuneCountInString(name) > accounts.MaxChannelNameLen || strings.ContainsRune(name, 0) {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Name not saved",
			"An integration's name is limited to 100 characters and cannot hold a NUL character.")
		return
	}
	if err := w.d.Store.RenameChannel(r.Context(), ch.ID, name); err != nil && !errors.Is(err, store.ErrNotFound) {
		w.unavailable(rw, r, "rename channel", err)
		return
	}
	w.toIntegrations(rw, r, p, "")
}

func (w *Web) testChannel(rw http.ResponseWriter, r *http.Request) {
	ch, p, ok := w.channelFor(rw, r, true)
	if !ok {
		return
	}
	// A send's outcome is kept on the channel (last error, last notify);
	// the page reads it back, so a reload shows the same answer. A test
	// that sent nothing records nothing and is answered here.
	if err := w.d.Tester.Send(r.Context(), ch, p); errors.Is(err, alerts.ErrNoEvents) {
		w.render(rw, r, http.StatusBadRequest, "message.html", "Nothing to test", "Nothing was sent: "+err.Error()+".")
		return
	}
	w.toIntegrations(rw, r, p, "?tested="+ch.Code)
}

type channelChecksPage struct {
	Channel channelRow
	Project model.Project
	Checks  []assignRow
	CanEdit bool
}

type assignRow struct {
	Code, Name string
	On         bool
}

func (w *Web) channelChecks(rw http.ResponseWriter, r *http.Request) {
	ch, p, ok := w.channelFor(rw, r, r.Method == http.MethodPost)
	if !ok {
		return
	}
	ctx := r.Context()
	checks, err := w.d.Store.ListChecks(ctx, p.ID)
	if err != nil {
		w.unavailable(rw, r, "list checks", err)
		return
	}
	if r.Method == http.MethodPost {
		form, ok := w.form(rw, r)
		if !ok {
			return
		}
		var ids []int64
		for i := range checks {
			if notify.Checked(form, "check-"+checks[i].Code) {
				ids = append(ids, checks[i].ID)
			}
		}
		if err := w.d.Store.SetChannelChecks(ctx, ch.ID, ids); err != nil {
			w.unavailable(rw, r, "assign checks", err)
			return
		}
		w.toIntegrations(rw, r, p, "")
		return
	}
	linked, err := w.d.Store.ChannelCheckIDs(ctx, ch.ID)
	if err != nil {
		w.unavailable(rw, r, "read channel checks", err)
		return
	}
	_, role, _ := w.d.Store.ProjectAccess(ctx, p.Code, userFrom(ctx).ID)
	d := channelChecksPage{Channel: channelRow{Channel: ch, KindName: w.kindName(ch.Kind), Checks: len(linked)}, Project: p, CanEdit: role.CanWrite()}
	for i := range checks {
		d.Checks = append(d.Checks, assignRow{Code: checks[i].Code, Name: checks[i].Name, On: slices.Contains(linked, checks[i].ID)})
	}
	w.render(rw, r, http.StatusOK, "channelchecks.html", "Assign checks · "+projectTitle(p), d)
}

// maxFormBytes bounds every form the UI reads: the largest legitimate one
// (a webhook with bodies and headers for both events) is a few KB.
const maxFormBytes = 64 << 10

// form parses a POSTed form, answering 400 itself for one that is too
// large or malformed.
func (w *Web) form(rw http.ResponseWriter, r *http.Request) (url.Values, bool) {
	r.Body = http.MaxBytesReader(rw, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		msg := "The form could not be read."
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			msg = "The form is larger than " + strconv.Itoa(maxFormBytes>>10) + " KB."
		}
		w.render(rw, r, http.StatusBadRequest, "message.html", "Bad request", msg)
		return nil, false
	}
	return r.PostForm, true
}
