package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/webhook"
	"github.com/overdue/overdue/internal/store"
)

// headerList collects repeated --header-down/--header-up "Name: value"
// flags as the lines of the webhook form's headers field. Each is checked
// by the webhook's own rule as it is parsed, so that a bad one is the flag
// package's usage error, naming the flag.
type headerList struct{ lines *[]string }

func (h headerList) String() string { return "" }

func (h headerList) Set(v string) error {
	if _, _, err := webhook.ParseHeader(v); err != nil {
		return err
	}
	*h.lines = append(*h.lines, v)
	return nil
}

// flagOf names the flag that fills a form field, for error messages: the
// form key with "-" for "_" (url_down is --url-down), but for the email
// fields and the header lists, whose flags have their own names.
func flagOf(key string) string {
	switch key {
	case "value":
		return "--email"
	case "up", "down":
		return "--notify-" + key
	case "headers_down", "headers_up":
		return "--header-" + strings.TrimPrefix(key, "headers_")
	}
	return "--" + strings.ReplaceAll(key, "_", "-")
}

// cmdIntegrationAdd adds an email or webhook channel to a project and links
// it to every check there, as upstream's "Add integration" pages do. A new
// email address gets a verification link unless EMAIL_USE_VERIFICATION is
// False or it is the project owner's own address.
//
// The flags are turned into the kind's form and checked by the integration
// registry, as a page's form will be; its errors name the flags.
func cmdIntegrationAdd(ctx context.Context, args []string, e env) int {
	reg := kinds.New()
	fs := newFlags("integration add", e)
	project := fs.String("project", "", "the project's UUID")
	kind := fs.String("kind", "", reg.AddableKinds())
	name := fs.String("name", "", "a name for the integration")
	addr := fs.String("email", "", "email: the address")
	up := fs.Bool("notify-up", true, "email: send \"up\" notifications")
	down := fs.Bool("notify-down", true, "email: send \"down\" notifications")
	spec := map[string]*string{}
	for _, ev := range []string{"down", "up"} {
		spec["url_"+ev] = fs.String("url-"+ev, "", "webhook: URL for \""+ev+"\" (empty: no request)")
		spec["method_"+ev] = fs.String("method-"+ev, "GET", "webhook: GET, POST or PUT for \""+ev+"\"")
		spec["body_"+ev] = fs.String("body-"+ev, "", "webhook: request body for \""+ev+"\" (POST and PUT)")
	}
	var headersDown, headersUp []string
	fs.Var(headerList{&headersDown}, "header-down", "webhook: a \"Name: value\" header for \"down\" (repeatable)")
	fs.Var(headerList{&headersUp}, "header-up", "webhook: a \"Name: value\" header for \"up\" (repeatable)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintln(e.stderr, "overdue integration add: "+msg)
		return exitUsage
	}
	if !isLowerUUID(*project) {
		return usage("--project must be the project's UUID")
	}
	if utf8.RuneCountInString(*name) > 100 {
		return usage("--name is limited to 100 characters")
	}
	form := url.Values{"value": {*addr}, "headers_down": {strings.Join(headersDown, "\n")}, "headers_up": {strings.Join(headersUp, "\n")}}
	for k, v := range spec {
		form.Set(k, *v)
	}
	if *up {
		form.Set("up", "on")
	}
	if *down {
		form.Set("down", "on")
	}
	value, err := reg.FromForm(notify.Kind(*kind), form)
	var fe *notify.FieldError
	if errors.As(err, &fe) {
		return usage(fe.Text(flagOf))
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	ch := model.Channel{Code: uuid.NewString(), Name: *name, Kind: *kind, Value: value}

	cfg, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	p, err := st.ProjectByCode(ctx, *project)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(e.stderr, "overdue: there is no project %s.\n", *project)
		return exitError
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	ch.ProjectID = p.ID
	verify := false
	if *kind == "email" {
		owner, err := st.UserByID(ctx, p.OwnerID)
		ownAddress := err == nil && strings.EqualFold(owner.Email, *addr)
		ch.EmailVerified = !cfg.EmailUseVerification || ownAddress
		verify = !ch.EmailVerified
	}
	if err := st.CreateChannel(ctx, &ch); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	if err := st.LinkChannelToAllChecks(ctx, ch.ID); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	fmt.Fprintln(e.stdout, ch.Code)
	if verify {
		if err := email.SendVerification(ctx, newMailer(cfg), cfg.SiteRoot, cfg.SiteName, cfg.SecretKey, ch); err != nil {
			fmt.Fprintf(e.stderr, "overdue: the integration was added, but the verification email could not be sent: %s.\n", oneLine(err))
			return exitError
		}
		fmt.Fprintf(e.stderr, "A verification link was emailed to %s; alerts start once it is opened.\n", *addr)
	}
	return exitOK
}

func isLowerUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

var _ flag.Value = headerList{}
