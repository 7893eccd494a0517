package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
	"github.com/overdue/overdue/internal/apptest"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify/email"
	"github.com/overdue/overdue/internal/server"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestEmailVerificationLink(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			const secret = "the-secret"
			a := apptest.New(t, apptest.Options{Engine: engine, Surfaces: func(a *apptest.App) server.Surfaces {
				return server.Surfaces{Integrations: api.NewIntegrations(a.Store, secret, "Overdue", nil, nil)}
			}})
			st := a.Store
			ctx := context.Background()
			u := a.AddUser(model.User{Email: "o@example.org"}, "")
			p := a.AddProject(model.Project{OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString()})
			mail := a.AddChannel(model.Channel{ProjectID: p.ID, Kind: "email", Value: `{"value": "new@example.org", "up": true, "down": true}`})
			hook := a.AddChannel(model.Channel{ProjectID: p.ID, Kind: "webhook", Value: `{}`})
			// It follows no redirects: each answer is the handler's own.
			client := a.Client()
			get := func(path string) (int, string) {
				t.Helper()
				resp, body := client.Get(a.URL + path)
				return resp.StatusCode, body
			}
			// As upstream: a wrong token is the "bad link" page with 200; a
			// path its URL pattern does not match, or an unknown channel, 404.
			for _, tc := range []struct {
				path string
				code int
				body string
			}{
				{"/integrations/" + mail.Code + "/verify/" + email.VerifyToken("other-secret", mail.Code) + "/", 200, "This link is not valid"},
				{"/integrations/" + mail.Code + "/verify/x/", 200, "This link is not valid"},
				{"/integrations/" + hook.Code + "/verify/" + email.VerifyToken(secret, hook.Code) + "/", 200, "This link is not valid"},
				{"/integrations/" + uuid.NewString() + "/verify/" + email.VerifyToken(secret, mail.Code) + "/", 404, "404 Not Found"},
				{"/integrations/not-a-uuid/verify/" + email.VerifyToken(secret, mail.Code) + "/", 404, "404 Not Found"},
				{"/integrations/" + strings.ToUpper(mail.Code) + "/verify/" + email.VerifyToken(secret, mail.Code) + "/", 404, "404 Not Found"},
				{"/integrations/" + mail.Code + "/verify/a.b/", 404, "404 Not Found"},
				{"/integrations/" + mail.Code + "/verify/" + email.VerifyToken(secret, mail.Code) + "/extra", 404, "404 Not Found"},
				{"/integrations/" + mail.Code + "/verify/" + strings.Repeat("x", 20000) + "/", 200, "This link is not valid"},
			} {
				if code, body := get(tc.path); code != tc.code || !strings.Contains(body, tc.body) {
					t.Errorf("GET %.120s = %d %.80q, want %d %q", tc.path, code, body, tc.code, tc.body)
				}
			}
			// Without the final slash: a redirect to the URL with it, as Django's APPEND_SLASH.
			noSlash := "/integrations/" + mail.Code + "/verify/x"
			resp, _ := client.Get(a.URL + noSlash)
			if resp.StatusCode != 301 || resp.Header.Get("Location") != noSlash+"/" {
				t.Errorf("GET %s = %d Location %q, want 301 to the path with a slash", noSlash, resp.StatusCode, resp.Header.Get("Location"))
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); ch.EmailVerified {
				t.Fatalf("a bad link verified the channel")
			}
			// A POST of the good link is refused by the CSRF rule, as
			// Django's middleware refuses it (the view is not csrf_exempt),
			// and confirms nothing; a GET of the same link confirms.
			good := email.VerifyURL("", mail.Code, email.VerifyToken(secret, mail.Code))
			req, err := http.NewRequest(http.MethodPost, a.URL+good, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			resp, body := client.Do(req)
			if resp.StatusCode != 403 || !strings.Contains(body, "CSRF verification failed") {
				t.Errorf("POST of the good link: %d %q, want Django's CSRF 403", resp.StatusCode, body)
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); ch.EmailVerified {
				t.Fatalf("a POST verified the channel")
			}
			if code, body := get(good); code != 200 || !strings.Contains(body, "Alerts will now be sent to new@example.org") {
				t.Errorf("good link: %d %q", code, body)
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); !ch.EmailVerified {
				t.Errorf("the good link did not verify the channel")
			}
		})
	}
}
