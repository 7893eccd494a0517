package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/api"
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
			st := storetest.Open(t, engine)
			ctx := context.Background()
			u := model.User{Email: "o@example.org"}
			if err := st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			p := model.Project{Code: uuid.NewString(), OwnerID: u.ID, PingKey: uuid.NewString()[:22], BadgeKey: uuid.NewString()}
			if err := st.CreateProject(ctx, &p); err != nil {
				t.Fatal(err)
			}
			mail := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "email", Value: `{"value": "new@example.org", "up": true, "down": true}`}
			hook := model.Channel{Code: uuid.NewString(), ProjectID: p.ID, Kind: "webhook", Value: `{}`}
			for _, ch := range []*model.Channel{&mail, &hook} {
				if err := st.CreateChannel(ctx, ch); err != nil {
					t.Fatal(err)
				}
			}
			const secret = "the-secret"
			srv := httptest.NewServer(server.Handler(server.Options{Groups: []server.Group{server.Compat(server.Surfaces{Integrations: api.NewIntegrations(st, secret, "Overdue", nil, nil)})}}))
			defer srv.Close()
			get := func(path string) (int, string) {
				resp, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
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
			req, _ := http.NewRequest("GET", srv.URL+noSlash, nil)
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 301 || resp.Header.Get("Location") != noSlash+"/" {
				t.Errorf("GET %s = %d Location %q, want 301 to the path with a slash", noSlash, resp.StatusCode, resp.Header.Get("Location"))
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); ch.EmailVerified {
				t.Fatalf("a bad link verified the channel")
			}
			// Any method works, as upstream's view does not restrict them.
			resp, err = http.Post(srv.URL+email.VerifyURL("", mail.Code, email.VerifyToken(secret, mail.Code)), "text/plain", nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			code, body := resp.StatusCode, string(b)
			if code != 200 || !strings.Contains(body, "Alerts will now be sent to new@example.org") {
				t.Errorf("good link: %d %q", code, body)
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); !ch.EmailVerified {
				t.Errorf("the good link did not verify the channel")
			}
		})
	}
}
