package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/overdue/overdue/internal/config"
	"github.com/overdue/overdue/internal/notify"
	"github.com/overdue/overdue/internal/notify/kinds"
)

// upstreamSecrets are the integration settings upstream's hc/settings.py
// reads with envsecret (so they accept NAME_FILE), as of v4.3.
var upstreamSecrets = []string{
	"DISCORD_CLIENT_SECRET", "GITHUB_CLIENT_SECRET", "GITHUB_PRIVATE_KEY", "MATRIX_ACCESS_TOKEN",
	"NTFY_SH_TOKEN", "PUSHOVER_API_TOKEN", "PUSHBULLET_CLIENT_SECRET", "SLACK_CLIENT_SECRET",
	"TELEGRAM_TOKEN", "TWILIO_AUTH", "TRELLO_APP_KEY",
}

// TestEveryKindSecretTakesFile: the registry's settings load together
// (no two kinds disagree), every upstream envsecret is declared Secret and
// reads its NAME_FILE, and the dump masks each one.
func TestEveryKindSecretTakesFile(t *testing.T) {
	settings := notify.Settings(kinds.All())
	secret := map[string]bool{}
	for _, s := range settings {
		if s.Secret {
			secret[s.Name] = true
		}
	}
	env := map[string]string{}
	for _, name := range upstreamSecrets {
		if !secret[name] {
			t.Errorf("%s is not a Secret setting of any kind; upstream reads it with envsecret", name)
		}
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte("file-"+name+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env[name+"_FILE"] = p
	}
	for name := range secret {
		if !strings.Contains(strings.Join(upstreamSecrets, " "), name) {
			t.Errorf("%s is Secret here but upstream reads it with os.getenv", name)
		}
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	c, err := config.Load(lookup, settings...)
	if err != nil {
		t.Fatal(err)
	}
	get := c.Env(lookup)
	dump := strings.Join(c.Redacted(), "\n")
	for _, name := range upstreamSecrets {
		if v, _ := get(name); v != "file-"+name {
			t.Errorf("%s = %q, want its file's content", name, v)
		}
		if !strings.Contains(dump, "\n"+name+"=********") || strings.Contains(dump, "file-"+name) {
			t.Errorf("the dump does not mask %s:\n%s", name, dump)
		}
	}
	for _, in := range kinds.All() {
		for _, s := range in.Settings {
			if !strings.Contains(dump, "\n"+s.Name+"=") {
				t.Errorf("the dump lacks %s (%s)", s.Name, in.Kind)
			}
		}
	}
}
