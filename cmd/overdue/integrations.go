package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"

	"github.com/overdue/overdue/internal/accounts"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
	"github.com/overdue/overdue/internal/notify/webhook"
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

// fieldList collects --set NAME=VALUE: any field of the kind's form
// (internal/notify's Field.Name), for the kinds without flags of their own.
type fieldList struct{ form url.Values }

func (f fieldList) String() string { return "" }

func (f fieldList) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", v)
	}
	f.form.Set(name, value)
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
	set := fieldList{url.Values{}}
	fs.Var(set, "set", "any kind: a form field as NAME=VALUE, such as value=<webhook URL> for slack or recipient=+15555550100 for signal (repeatable)")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	usage := func(msg string) int {
		fmt.Fprintln(e.stderr, "overdue integration add: "+msg)
		return exitUsage
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
	for k, v := range set.form {
		form[k] = v
	}
	flagName := func(key string) string {
		if _, ok := set.form[key]; ok {
			return "--set " + key
		}
		return flagOf(key)
	}
	nc := accounts.NewChannel{Project: *project, Kind: notify.Kind(*kind), Name: *name, Form: form}
	// Checked before the database is opened: a usage error needs none.
	_, err := accounts.CheckChannel(reg, nc)
	var fe *notify.FieldError
	switch {
	case errors.Is(err, accounts.ErrProjectCode):
		return usage("--project must be the project's UUID")
	case errors.Is(err, accounts.ErrChannelName):
		return usage("--name is limited to 100 characters")
	case errors.As(err, &fe):
		return usage(fe.Text(flagName))
	case err != nil:
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}

	cfg, st, ok := openConfigured(ctx, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	if err := ensureSecretKey(ctx, st, &cfg); err != nil {
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	acc, err := newAccounts(cfg, st)
	var added accounts.AddedChannel
	if err == nil {
		added, err = acc.AddChannel(ctx, nc)
	}
	if added.Channel.Code != "" {
		fmt.Fprintln(e.stdout, added.Channel.Code)
	}
	var ve *accounts.VerificationError
	switch {
	case errors.Is(err, accounts.ErrNoSuchProject):
		fmt.Fprintf(e.stderr, "overdue: there is no project %s.\n", *project)
		return exitError
	case errors.As(err, &ve):
		fmt.Fprintf(e.stderr, "overdue: the integration was added, but the verification email could not be sent: %s.\n", oneLine(ve.Err))
		return exitError
	case err != nil:
		fmt.Fprintf(e.stderr, "overdue: %v.\n", err)
		return exitError
	}
	if added.VerificationSent {
		fmt.Fprintf(e.stderr, "A verification link was emailed to %s; alerts start once it is opened.\n", *addr)
	}
	return exitOK
}

var _ flag.Value = headerList{}
