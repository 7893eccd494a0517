package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/auth"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// TestImportedHashLogsInAndIsRehashed: a user imported from upstream with a
// Django pbkdf2_sha256 hash (made with Python's hashlib) logs in, and the
// hash is then replaced by Overdue's argon2id, which verifies the same password.
func TestImportedHashLogsInAndIsRehashed(t *testing.T) {
	t.Parallel()
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, engine)
			ctx := context.Background()
			const django = "pbkdf2_sha256$1000$saltsalt$ny5meISIhaoh9Hf5couWXriLEditl+KNHV25zTsYC34="
			u := model.User{Email: "imported@example.org", Password: django, PingLogLimit: 100, CheckLimit: 20}
			if err := e.st.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
			resp, _ := post(t, e.client(), e.base+"/accounts/login/", url.Values{"email": {u.Email}, "password": {"hunter23"}})
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("wrong password: %d", resp.StatusCode)
			}
			if got, _ := e.st.UserByID(ctx, u.ID); got.Password != django {
				t.Fatalf("a failed log-in changed the hash to %q", got.Password)
			}
			e.login(u.Email, "hunter22")
			got, err := e.st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.Password, "argon2$argon2id$") || auth.NeedsRehash(got.Password) || !auth.CheckPassword(got.Password, "hunter22") {
				t.Errorf("after log-in the hash is %q", got.Password)
			}
			e.login(u.Email, "hunter22") // and it still logs in
		})
	}
}
