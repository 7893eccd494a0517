package web_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/github"
	"github.com/overdue/overdue/internal/notify/notifytest"
)

// fakeProvider answers by "METHOD path" (query left out) and records
// every request; a route it does not know is 404.
type fakeProvider struct {
	*httptest.Server
	mu     sync.Mutex
	routes map[string]notifytest.Reply
	reqs   []notifytest.Request
}

func newFakeProvider(t *testing.T, routes map[string]notifytest.Reply) *fakeProvider {
	f := &fakeProvider{routes: routes}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, notifytest.Request{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: b})
		rep, ok := f.routes[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if !ok {
			rep = notifytest.Reply{Status: 404, Body: `{"message": "Not Found"}`}
		}
		w.WriteHeader(rep.Status)
		_, _ = io.WriteString(w, rep.Body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeProvider) set(route string, rep notifytest.Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = rep
}

// take returns the requests so far and forgets them.
func (f *fakeProvider) take() []notifytest.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.reqs
	f.reqs = nil
	return r
}

var (
	grantRe  = regexp.MustCompile(`name="grant" value="([^"]+)"`)
	optionRe = regexp.MustCompile(`<option value="([^"]+)">`)
)

func TestGitHubApp(t *testing.T) {
	t.Parallel()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	gh := newFakeProvider(t, map[string]notifytest.Reply{
		"POST /login/oauth/access_token":          {Status: 200, Body: `{"access_token": "ghu_user", "token_type": "bearer", "scope": ""}`},
		"GET /user/installations":                 {Status: 200, Body: `{"total_count": 2, "installations": [{"id": 7}, {"id": 8}]}`},
		"GET /user/installations/7/repositories":  {Status: 200, Body: `{"total_count": 2, "repositories": [{"full_name": "alice/backups"}, {"full_name": "alice/web"}]}`},
		"GET /user/installations/8/repositories":  {Status: 200, Body: `{"total_count": 1, "repositories": [{"full_name": "acme/ops"}, {"full_name": "../evil"}]}`},
		"POST /app/installations/7/access_tokens": {Status: 201, Body: `{"token": "ghs_inst"}`},
		"POST /repos/alice/backups/issues":        {Status: 201, Body: `{}`},
	})
	vars := map[string]string{"GITHUB_CLIENT_ID": "Iv1.abc", "GITHUB_CLIENT_SECRET": "gsecret", "GITHUB_PRIVATE_KEY": pemKey,
		"GITHUB_PUBLIC_LINK": "https://github.com/apps/overdue-test"}
	s := newAppSite(t, vars, patchKind("github", github.OAuth(gh.URL, gh.URL)))
	callback := s.e.base + "/integrations/add_github/?"
	start := func() string {
		t.Helper()
		u := s.connect(t, "github")
		if u == nil {
			t.Fatal("no Connect link")
		}
		q := u.Query()
		if u.Path != "/login/oauth/authorize" || q.Get("client_id") != "Iv1.abc" || q.Get("redirect_uri") != "http://example.org/hc/integrations/add_github/" {
			t.Fatalf("authorize link %s", u)
		}
		return q.Get("state")
	}
	// choose follows the callback to the repository page: its grant and options.
	choose := func(t *testing.T) (string, []string) {
		t.Helper()
		resp, body := get(t, s.owner, callback+url.Values{"code": {"C0DE"}, "state": {start()}}.Encode())
		m := grantRe.FindStringSubmatch(body)
		if resp.StatusCode != 200 || m == nil {
			t.Fatalf("choice page %d:\n%s", resp.StatusCode, body)
		}
		var opts []string
		for _, o := range optionRe.FindAllStringSubmatch(body, -1) {
			opts = append(opts, html.UnescapeString(o[1]))
		}
		if !strings.Contains(body, `href="https://github.com/apps/overdue-test/installations/new"`) {
			t.Errorf("no install link:\n%s", body)
		}
		return html.UnescapeString(m[1]), opts
	}
	saveURL := s.e.base + "/projects/" + s.p.Code + "/add_github/save/"

	grant, opts := choose(t)
	if strings.Join(opts, " ") != "acme/ops alice/backups alice/web" {
		t.Errorf("options %q", opts)
	}
	// The provider saw the documented requests.
	reqs := gh.take()
	want := []string{"POST /login/oauth/access_token", "GET /user/installations?per_page=100",
		"GET /user/installations/7/repositories?per_page=100&page=1", "GET /user/installations/8/repositories?per_page=100&page=1"}
	if len(reqs) != len(want) {
		t.Fatalf("requests %+v", reqs)
	}
	for i, r := range reqs {
		if r.Method+" "+r.URI != want[i] {
			t.Errorf("request %d: %s %s, want %s", i, r.Method, r.URI, want[i])
		}
		if i > 0 && (r.Header.Get("Authorization") != "Bearer ghu_user" || r.Header.Get("Accept") != "application/vnd.github+json") {
			t.Errorf("request %d headers %v", i, r.Header)
		}
	}
	if string(reqs[0].Body) != "client_id=Iv1.abc&client_secret=gsecret&code=C0DE" || reqs[0].Header.Get("Accept") != "application/vnd.github+json" {
		t.Errorf("token request %s %v", reqs[0].Body, reqs[0].Header)
	}
	if strings.Contains(grant, "ghu_user") {
		t.Error("the user's token is readable in the page")
	}

	// A repository outside the installations, or a grant of another
	// project or session, adds nothing.
	if resp, body := post(t, s.owner, saveURL, url.Values{"grant": {grant}, "option": {"mallory/repo"}}); resp.StatusCode != 400 || !strings.Contains(body, "not one the GitHub App can reach") {
		t.Errorf("foreign repo: %d %s", resp.StatusCode, body)
	}
	if resp, body := post(t, s.owner, saveURL, url.Values{"grant": {grant}, "option": {"alice/backups"}}); resp.StatusCode != 400 || !strings.Contains(body, "expired or was already used") {
		t.Errorf("spent grant: %d %s", resp.StatusCode, body)
	}
	other := s.e.login("alice@example.org", "correct horse")
	grant, _ = choose(t)
	if resp, body := post(t, other, saveURL, url.Values{"grant": {grant}, "option": {"alice/backups"}}); resp.StatusCode != 400 || !strings.Contains(body, "not started from this browser") {
		t.Errorf("another session's grant: %d", resp.StatusCode)
	}
	p2 := model.Project{Code: "aaaaaaaa-0000-4000-8000-000000000033", OwnerID: s.p.OwnerID}
	if err := s.e.st.CreateProject(context.Background(), &p2); err != nil {
		t.Fatal(err)
	}
	if resp, _ := post(t, s.owner, s.e.base+"/projects/"+p2.Code+"/add_github/save/", url.Values{"grant": {grant}, "option": {"alice/backups"}}); resp.StatusCode != 400 {
		t.Errorf("another project's grant: %d", resp.StatusCode)
	}
	if chs := s.channels(t); len(chs) != 0 {
		t.Fatalf("refusals added %v", chs)
	}

	// The pick is checked with GitHub again and stored as upstream's.
	grant, _ = choose(t)
	gh.take()
	resp, _ := post(t, s.owner, saveURL, url.Values{"grant": {grant}, "option": {"alice/backups"}, "labels": {" down, ops ,"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	if n := len(gh.take()); n != 3 {
		t.Errorf("save re-read the repositories with %d requests, want 3", n)
	}
	chs := s.channels(t)
	if len(chs) != 1 || chs[0].Kind != "github" || chs[0].Name != "alice/backups" || chs[0].Value != `{"installation_id":7,"repo":"alice/backups","labels":["down","ops"]}` {
		t.Fatalf("channels %+v", chs)
	}

	// The existing sender opens the issue through the installation, with
	// the App's JWT signed by GITHUB_PRIVATE_KEY.
	key, err := github.ParsePrivateKey(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	m := notifytest.Message(model.StatusDown)
	m.Channel = chs[0]
	if err := (&github.Transport{Client: notifytest.Client(0), API: gh.URL, AppID: vars["GITHUB_CLIENT_ID"], AppKey: key}).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	reqs = gh.take()
	if len(reqs) != 2 || reqs[0].URI != "/app/installations/7/access_tokens" || reqs[1].URI != "/repos/alice/backups/issues" ||
		reqs[1].Header.Get("Authorization") != "Bearer ghs_inst" || !strings.Contains(string(reqs[1].Body), `"labels":["down","ops"]`) {
		t.Fatalf("send requests %+v", reqs)
	}
	jwt, _ := strings.CutPrefix(reqs[0].Header.Get("Authorization"), "Bearer ")
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT %q", jwt)
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&rk.PublicKey, crypto.SHA256, sum[:], sig); err != nil {
		t.Errorf("JWT signature: %v", err)
	}
}

// GitHub's refusals: each a clear page, and no channel.
func TestGitHubAppRefusals(t *testing.T) {
	t.Parallel()
	const unexpected = "Received an unexpected response from GitHub. Integration not added."
	const revoked = "GitHub setup failed, GitHub access was revoked."
	for _, c := range []struct {
		name   string
		routes map[string]notifytest.Reply
		want   string
	}{
		{"bad code", map[string]notifytest.Reply{"POST /login/oauth/access_token": {Status: 200, Body: `{"error": "bad_verification_code", "error_description": "The code passed is incorrect or expired."}`}}, unexpected},
		{"token 500", map[string]notifytest.Reply{"POST /login/oauth/access_token": {Status: 500, Body: `oops`}}, unexpected},
		{"token not JSON", map[string]notifytest.Reply{"POST /login/oauth/access_token": {Status: 200, Body: `access_token=ghu_x`}}, unexpected},
		{"revoked", map[string]notifytest.Reply{
			"POST /login/oauth/access_token": {Status: 200, Body: `{"access_token": "ghu_user"}`},
			"GET /user/installations":        {Status: 401, Body: `{"message": "Bad credentials"}`}}, revoked},
		{"installations malformed", map[string]notifytest.Reply{
			"POST /login/oauth/access_token": {Status: 200, Body: `{"access_token": "ghu_user"}`},
			"GET /user/installations":        {Status: 200, Body: `{"installations": [{"id": "7"}]}`}}, unexpected},
		{"repositories 403", map[string]notifytest.Reply{
			"POST /login/oauth/access_token":         {Status: 200, Body: `{"access_token": "ghu_user"}`},
			"GET /user/installations":                {Status: 200, Body: `{"installations": [{"id": 7}]}`},
			"GET /user/installations/7/repositories": {Status: 403, Body: `{"message": "Forbidden"}`}}, unexpected},
	} {
		t.Run(c.name, func(t *testing.T) {
			gh := newFakeProvider(t, c.routes)
			vars := map[string]string{"GITHUB_CLIENT_ID": "Iv1.abc", "GITHUB_CLIENT_SECRET": "gsecret", "GITHUB_PRIVATE_KEY": "-----BEGIN RSA PRIVATE KEY-----"}
			s := newAppSite(t, vars, patchKind("github", github.OAuth(gh.URL, gh.URL)))
			state := s.connect(t, "github").Query().Get("state")
			resp, body := get(t, s.owner, s.e.base+"/integrations/add_github/?"+url.Values{"code": {"C0DE"}, "state": {state}}.Encode())
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, c.want) {
				t.Errorf("%d %s", resp.StatusCode, body)
			}
			if chs := s.channels(t); len(chs) != 0 {
				t.Errorf("channels %v", chs)
			}
		})
	}
	// Without the secret or the key, only the token form is offered.
	s := newAppSite(t, map[string]string{"GITHUB_CLIENT_ID": "Iv1.abc"}, func(*notify.Integration) {})
	if u := s.connect(t, "github"); u != nil {
		t.Errorf("Connect link without the App's secret and key: %s", u)
	}
}
