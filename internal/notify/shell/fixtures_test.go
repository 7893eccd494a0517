// The fixtures of the shell tests: the messages its golden files render
// (down, up, and a check whose name and tags try to inject shell and
// markup), and the golden-file check with its -update flag.

package shell

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/notify"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Golden compares got with testdata/<name>.golden, or rewrites that file
// when the tests run with -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the tests with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// Code is the check UUID of every test message.
const Code = "0f7e6a2c-4a7b-4b1c-9d1e-8f3a2b1c0d9e"

// Flipped is when the test messages' flip happened.
var Flipped = time.Date(2026, 11, 24, 12, 30, 45, 123456000, time.UTC)

// HostileName is a check name that tries HTML, Markdown, shell, TwiML and
// mention injection all at once.
const HostileName = "<b>x</b> & 'q' \"d\" `$(id)` $NAME ]]> <!channel> @everyone *bold* [l](http://evil)"

// Message is the named test message: "down" (went down by time, with a
// last ping), "up" (after 1 hour 5 minutes of downtime), or "hostile" (down
// by a failure ping, with hostile name, tags and description).
func Message(name string) *notify.Message {
	exit := 3
	m := &notify.Message{
		Code:   "6f1c1c7e-3b52-4bda-9f0e-0d2f6f0b7a11",
		Status: model.StatusDown,
		Check: model.Check{Code: Code, Name: "Backup db", Slug: "backup-db", Tags: "prod db", Desc: "Nightly backup",
			Kind: "simple", Timeout: 24 * time.Hour, Grace: time.Hour, Schedule: "* * * * *", TZ: "UTC"},
		Flip:        model.Flip{Created: Flipped, OldStatus: model.StatusUp, NewStatus: model.StatusDown, Reason: "timeout"},
		LastPing:    &model.Ping{N: 42, Created: Flipped.Add(-25 * time.Hour), Body: []byte("Body Line 1\nBody Line 2"), ExitStatus: &exit},
		ProjectName: "Ops",
		CheckURL:    "https://hc.example.org/cloaked/abc/",
		SiteRoot:    "https://hc.example.org",
		SiteName:    "Overdue",
		Now:         Flipped.Add(time.Second),
	}
	switch name {
	case "down":
	case "up":
		m.Status = model.StatusUp
		m.Flip.OldStatus, m.Flip.NewStatus, m.Flip.Reason = model.StatusDown, model.StatusUp, ""
		m.Downtime = time.Hour + 5*time.Minute
	case "hostile":
		m.Check.Name = HostileName
		m.Check.Tags = "<i>t</i> `x` $(reboot) ';rm"
		m.Check.Desc = "<script>alert(1)</script> **desc**"
		m.Check.Kind, m.Check.Schedule, m.Check.TZ = "cron", "*/5 * * * *", "Europe/Riga"
		m.Flip.Reason = "fail"
		m.LastPing.Body = []byte("```\n<b>body</b>")
		m.ProjectName = "<Ops & Co>"
	default:
		panic("notifytest: no message " + name)
	}
	return m
}

// Names are the messages every kind's golden files cover.
var Names = []string{"down", "up", "hostile"}
