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
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
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
			srv := httptest.NewServer(server.Handler(server.Options{Integrations: api.NewIntegrations(st, secret, "Overdue", nil)}))
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
			for _, path := range []string{
				"/integrations/" + mail.Code + "/verify/" + email.VerifyToken("other-secret", mail.Code) + "/",
				"/integrations/" + mail.Code + "/verify/x/",
				"/integrations/" + hook.Code + "/verify/" + email.VerifyToken(secret, hook.Code) + "/",
				"/integrations/" + uuid.NewString() + "/verify/" + email.VerifyToken(secret, mail.Code) + "/",
				"/integrations/not-a-uuid/verify/" + email.VerifyToken(secret, mail.Code) + "/",
				"/integrations/" + strings.ToUpper(mail.Code) + "/verify/" + email.VerifyToken(secret, mail.Code) + "/",
			} {
				if code, body := get(path); code != 400 || !strings.Contains(body, "This link is not valid") {
					t.Errorf("GET %s = %d %q, want 400", path, code, body)
				}
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); ch.EmailVerified {
				t.Fatalf("a bad link verified the channel")
			}
			code, body := get(email.VerifyURL("", mail.Code, email.VerifyToken(secret, mail.Code)))
			if code != 200 || !strings.Contains(body, "Alerts will now be sent to new@example.org") {
				t.Errorf("good link: %d %q", code, body)
			}
			if ch, _ := st.ChannelByCode(ctx, mail.Code); !ch.EmailVerified {
				t.Errorf("the good link did not verify the channel")
			}
		})
	}
}
