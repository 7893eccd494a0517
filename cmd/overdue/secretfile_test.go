package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An integration's secret given as NAME_FILE reaches the integration, is
// masked in serve's debug dump of the configuration and is never logged;
// a NAME_FILE that cannot be read stops every command with a sentence
// naming it.
func TestIntegrationSecretFiles(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "telegram")
	if err := os.WriteFile(tokenFile, []byte("123456:file-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("dump", func(t *testing.T) {
		vars := sqliteEnv(t)
		vars["DEBUG"] = "True"
		vars["TELEGRAM_TOKEN_FILE"] = tokenFile
		vars["TWILIO_AUTH"] = "twilio-s3cret"
		log := serveLog(t, vars)
		for _, want := range []string{"TELEGRAM_TOKEN=********", "TWILIO_AUTH=********", "TELEGRAM_BOT_NAME=ExampleBot", "MATRIX_ACCESS_TOKEN="} {
			if !strings.Contains(log, want) {
				t.Errorf("the debug dump lacks %s:\n%s", want, log)
			}
		}
		for _, secret := range []string{"file-s3cret", "twilio-s3cret"} {
			if strings.Contains(log, secret) {
				t.Errorf("serve logged the secret %q:\n%s", secret, log)
			}
		}
	})

	t.Run("settelegramwebhook", func(t *testing.T) {
		srv, reqs := telegramStandIn(t, reply{200, `{"ok":true,"result":true}`})
		vars := map[string]string{"TELEGRAM_TOKEN_FILE": tokenFile, "SITE_ROOT": "https://hc.example.org", "INTEGRATIONS_ALLOW_PRIVATE_IPS": "True"}
		var out, errb bytes.Buffer
		code := setTelegramWebhook(context.Background(), nil, env{getenv: mapEnv(vars), stdout: &out, stderr: &errb}, srv.URL)
		if code != exitOK || len(*reqs) != 1 || !strings.HasPrefix((*reqs)[0].URI, "/bot123456:file-s3cret/") {
			t.Fatalf("exit %d, stderr %q, requests %v: want the file's token used", code, errb.String(), *reqs)
		}
		if strings.Contains(out.String()+errb.String(), "file-s3cret") {
			t.Errorf("the token was printed: %q %q", out.String(), errb.String())
		}
	})

	for _, tc := range []struct {
		name, value string
	}{
		{"missing", filepath.Join(dir, "absent")},
		{"directory", dir},
	} {
		t.Run("unreadable "+tc.name, func(t *testing.T) {
			vars := sqliteEnv(t)
			vars["TWILIO_AUTH"] = "twilio-s3cret"
			vars["TWILIO_AUTH_FILE"] = tc.value
			for _, args := range [][]string{{"migrate"}, {"serve", "--listen", "127.0.0.1:0"}} {
				code, _, stderr := runCmd(t, vars, "", args...)
				if code != exitError || !strings.Contains(stderr, "TWILIO_AUTH_FILE names a file that cannot be read") || strings.Count(stderr, "\n") != 1 {
					t.Errorf("%v: exit %d, stderr %q; want 1 and one sentence naming TWILIO_AUTH_FILE", args, code, stderr)
				}
				if strings.Contains(stderr, "twilio-s3cret") {
					t.Errorf("%v: the secret is on stderr: %q", args, stderr)
				}
			}
		})
	}
}
