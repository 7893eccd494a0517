package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

const value = `{"token":"github_pat_abc","repo":"alice/backups","labels":["outage","prod"]}`

func TestGolden(t *testing.T) {
	for _, c := range notifytest.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			srv := notifytest.NewServer(t, notifytest.Reply{Status: 201, Body: `{"number": 1}`})
			c.Msg.Channel.Value = value
			tr := &Transport{Client: notifytest.Client(0), API: srv.URL}
			if err := tr.Send(context.Background(), c.Msg); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if c.Msg.Status == model.StatusUp {
				if len(reqs) != 0 {
					t.Fatalf("up sent %d requests; upstream's GitHub is down only", len(reqs))
				}
				return
			}
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Method != "POST" || r.URI != "/repos/alice/backups/issues" || r.Header.Get("Authorization") != "Bearer github_pat_abc" ||
				r.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s, Authorization %q, Content-Type %q", r.Method, r.URI, r.Header.Get("Authorization"), r.Header.Get("Content-Type"))
			}
			notifytest.Golden(t, c.Name+".json", r.Body)
			if c.Name == "hostile" {
				// Everything the user typed is text: no tag, link, emphasis
				// or mention. The ping body is shown in a <pre>, where
				// GitHub reads no Markdown; its HTML is escaped.
				if b := Body(c.Msg); !strings.Contains(b, "<pre>&lt;b&gt;x&lt;/b&gt;") || strings.Contains(b, "<script>") {
					t.Errorf("ping body not escaped: %s", b)
				}
				c.Msg.LastPing.Body = nil
				doc := issue{Body: Body(c.Msg)}
				// Tags are code spans, which GitHub reads literally.
				if !strings.Contains(doc.Body, "\n**Tags:** `<t>` `@all` `*x*` \n") {
					t.Errorf("tags: %s", doc.Body)
				}
				for _, bad := range []string{"<b>", "<!channel>", "@everyone", "@here", "[link](", "*bold*", "_it_", "<script>"} {
					if strings.Contains(doc.Body, bad) {
						t.Errorf("%q reaches the issue body as markup", bad)
					}
				}
			}
		})
	}
}

func TestCodeSpan(t *testing.T) {
	for in, want := range map[string]string{"prod": "`prod`", "<t>": "`<t>`", "a`b": "`` a`b ``", "``x": "``` ``x ```", "`": "`` ` ``"} {
		if got := codeSpan(in); got != want {
			t.Errorf("codeSpan(%q) = %q, want %q", in, got, want)
		}
	}
}

// A ping body with a code fence is left out, as upstream does.
func TestBodyWithFence(t *testing.T) {
	m := notifytest.Message(model.StatusDown)
	m.LastPing.Body = []byte("``` surprise")
	if b := Body(m); strings.Contains(b, "Last Ping Body") || strings.Contains(b, "```") {
		t.Errorf("%s", b)
	}
}

func TestAnswers(t *testing.T) {
	notifytest.CheckAnswers(t, append(notifytest.CommonAnswers(),
		notifytest.Answer{Name: "410", Reply: notifytest.Reply{Status: 410, Body: `{"message": "Issues are disabled for this repo"}`},
			Err: "Received status code 410", Permanent: true, Tries: 1},
		notifytest.Answer{Name: "401", Reply: notifytest.Reply{Status: 401, Body: `{"message": "Bad credentials"}`},
			Err: "Received status code 401", Tries: 3},
	), func(srv *notifytest.Server, c *notify.Client) error {
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = value
		return (&Transport{Client: c, API: srv.URL}).Send(context.Background(), m)
	})
}

func TestForm(t *testing.T) {
	in := Integration()
	v, err := in.FromForm(url.Values{"repo_name": {" alice/backups "}, "labels": {" outage, ,prod ,"}, "token": {"github_pat_abc"}})
	if err != nil || v != value {
		t.Fatalf("%s %v", v, err)
	}
	if err := in.Validate(v); err != nil {
		t.Error(err)
	}
	for _, c := range []struct{ repo, labels, token, field string }{
		{"", "", "t", "repo_name"},
		{"alice", "", "t", "repo_name"},
		{"alice/backups/issues", "", "t", "repo_name"},
		{"../x", "", "t", "repo_name"},
		{"alice/..", "", "t", "repo_name"},
		{"alice/b?x=1", "", "t", "repo_name"},
		{"alice/b%2F..", "", "t", "repo_name"},
		{"alice/" + strings.Repeat("b", 101), "", "t", "repo_name"},
		{"alice/b", strings.Repeat("l", 501), "t", "labels"},
		{"alice/b", "a\nb", "t", "labels"},
		{"alice/b", "", "", "token"},
		{"alice/b", "", "tok en", "token"},
		{"alice/b", "", "tok\r\nX-Evil: 1", "token"},
		{"alice/b", "", strings.Repeat("t", 256), "token"},
	} {
		_, err := in.FromForm(url.Values{"repo_name": {c.repo}, "labels": {c.labels}, "token": {c.token}})
		var fe *notify.FieldError
		if !errors.As(err, &fe) || fe.Field != c.field {
			t.Errorf("%+v: %v, want an error on %s", c, err, c.field)
		}
	}
	// Upstream's stored value, from its GitHub App flow.
	if err := in.Validate(`{"installation_id": 123, "repo": "alice/foo", "labels": ["foo", "bar"]}`); err != nil {
		t.Errorf("upstream value: %v", err)
	}
	for _, bad := range []string{"{", "[]", `{"repo": 5}`, `{"repo": "alice/foo", "labels": []}`, `{"installation_id": "1", "repo": "a/b"}`} {
		if in.Validate(bad) == nil {
			t.Errorf("Validate(%s) accepted", bad)
		}
	}
}

// An upstream channel made through the GitHub App: the App's JWT buys an
// installation token, which opens the issue.
func TestAppInstallation(t *testing.T) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	key, err := ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	const inst = `{"installation_id": 123, "repo": "alice/foo", "labels": []}`
	t.Run("issue", func(t *testing.T) {
		srv := notifytest.NewServer(t, notifytest.Reply{Status: 201, Body: `{"token": "ghs_inst"}`})
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = inst
		if err := (&Transport{Client: notifytest.Client(0), API: srv.URL, AppID: "Iv1.abc", AppKey: key}).Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()
		if len(reqs) != 2 || reqs[0].URI != "/app/installations/123/access_tokens" || reqs[0].Method != "POST" || len(reqs[0].Body) != 0 ||
			reqs[1].URI != "/repos/alice/foo/issues" || reqs[1].Header.Get("Authorization") != "Bearer ghs_inst" {
			t.Fatalf("requests %+v", reqs)
		}
		jwt, ok := strings.CutPrefix(reqs[0].Header.Get("Authorization"), "Bearer ")
		parts := strings.Split(jwt, ".")
		if !ok || len(parts) != 3 {
			t.Fatalf("Authorization %q", reqs[0].Header.Get("Authorization"))
		}
		dec := base64.RawURLEncoding
		head, _ := dec.DecodeString(parts[0])
		claims, _ := dec.DecodeString(parts[1])
		sig, _ := dec.DecodeString(parts[2])
		sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
		if err := rsa.VerifyPKCS1v15(&rk.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
			t.Errorf("signature: %v", err)
		}
		now := notifytest.Now.Unix()
		var c struct {
			Iat, Exp int64
			Iss      string
		}
		if string(head) != `{"alg":"RS256","typ":"JWT"}` || json.Unmarshal(claims, &c) != nil || c.Iat != now || c.Exp != now+600 || c.Iss != "Iv1.abc" {
			t.Errorf("JWT %s %s", head, claims)
		}
		if !strings.Contains(string(reqs[1].Body), `"labels":[]`) {
			t.Errorf("labels: %s", reqs[1].Body)
		}
	})
	t.Run("uninstalled", func(t *testing.T) {
		srv := notifytest.NewServer(t, notifytest.Reply{Status: 404})
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = inst
		err := (&Transport{Client: notifytest.Client(0), API: srv.URL, AppID: "Iv1.abc", AppKey: key}).Send(context.Background(), m)
		if notify.ErrorText(err) != "GitHub denied access to alice/foo" || notify.IsPermanent(err) || len(srv.Requests()) != 1 {
			t.Errorf("%v", err)
		}
	})
	t.Run("no key", func(t *testing.T) {
		tr, err := Integration().Transport(notify.Deps{Client: notifytest.Client(0)})
		if err != nil {
			t.Fatal(err)
		}
		m := notifytest.Message(model.StatusDown)
		m.Channel.Value = inst
		if err := tr.Send(context.Background(), m); notify.ErrorText(err) != "GitHub notifications are not enabled." || !notify.IsFinal(err) || notify.IsPermanent(err) {
			t.Errorf("%v", err)
		}
	})
	t.Run("bad key", func(t *testing.T) {
		env := map[string]string{"GITHUB_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"}
		_, err := Integration().Transport(notify.Deps{Client: notifytest.Client(0), Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
		if err == nil || !strings.Contains(err.Error(), "GITHUB_PRIVATE_KEY") || strings.Contains(err.Error(), "AAAA") {
			t.Errorf("%v", err)
		}
	})
}
