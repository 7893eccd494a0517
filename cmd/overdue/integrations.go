package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/store"
)

// headerList collects repeated --header-down/--header-up "Name: value" flags.
type headerList map[string]string

func (h headerList) String() string { return "" }

func (h headerList) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	// As upstream's HeadersField: both parts are required, and a name must
	// be latin-1 (it goes out as bytes).
	if !ok || name == "" || value == "" || strings.ContainsAny(name, " \t\r\n") || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	if strings.ContainsFunc(name, func(r rune) bool { return r > 0xff }) {
		return errors.New("header names must not contain special characters")
	}
	if utf8.RuneCountInString(name) > 1000 || utf8.RuneCountInString(value) > 1000 {
		return errors.New("a header name or value is limited to 1,000 characters")
	}
	h[name] = value
	return nil
}

// cmdIntegrationAdd adds an email or webhook channel to a project and links
// it to every check there, as upstream's "Add integration" pages do. A new
// email address gets a verification link unless EMAIL_USE_VERIFICATION is
// False or it is the project owner's own address.
//
// Lengths are counted in characters, as Django's max_length counts them.
func cmdIntegrationAdd(ctx context.Context, args []string, e env) int {
	fs := newFlags("integration add", e)
	project := fs.String("project", "", "the project's UUID")
	kind := fs.String("kind", "", "email or webhook")
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
	headersDown, headersUp := headerList{}, headerList{}
	fs.Var(headersDown, "header-down", "webhook: a \"Name: value\" header for \"down\" (repeatable)")
	fs.Var(headersUp, "header-up", "webhook: a \"Name: value\" header for \"up\" (repeatable)")
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
	ch := model.Channel{Code: uuid.NewString(), Name: *name, Kind: *kind}
	switch *kind {
	case "email":
		if !validEmail(*addr) || utf8.RuneCountInString(*addr) > 100 {
			return usage("--email must be an email address of at most 100 characters")
		}
		if !*up && !*down {
			return usage("at least one of --notify-up and --notify-down must be true")
		}
		v, _ := json.Marshal(map[string]any{"value": *addr, "up": *up, "down": *down})
		ch.Value = string(v)
	case "webhook":
		if *spec["url_down"] == "" && *spec["url_up"] == "" {
			return usage("a webhook needs --url-down, --url-up or both")
		}
		doc := map[string]any{"headers_down": headersDown, "headers_up": headersUp}
		for k, v := range spec {
			doc[k] = *v
		}
		for _, ev := range []string{"down", "up"} {
			if u := *spec["url_"+ev]; u != "" && !validWebhookURL(u) {
				return usage(fmt.Sprintf("--url-%s must be an http:// or https:// URL of at most 1,000 characters", ev))
			}
			m := strings.ToUpper(*spec["method_"+ev])
			if m != "GET" && m != "POST" && m != "PUT" {
				return usage(fmt.Sprintf("--method-%s must be GET, POST or PUT", ev))
			}
			doc["method_"+ev] = m
			if utf8.RuneCountInString(*spec["body_"+ev]) > 1000 {
				return usage(fmt.Sprintf("--body-%s is limited to 1,000 characters", ev))
			}
		}
		v, _ := json.Marshal(doc)
		ch.Value = string(v)
	default:
		return usage("--kind must be email or webhook")
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

func validWebhookURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && utf8.RuneCountInString(s) <= 1000 && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isLowerUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

var _ flag.Value = headerList{}
