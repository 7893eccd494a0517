package schedule

import (
	"archive/zip"
	"errors"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNormalizeTZ(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"UTC", "UTC", true},
		{"Etc/UTC", "Etc/UTC", true},
		{"Europe/Riga", "Europe/Riga", true},
		{"America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires", true},
		{"Europe/Kiev", "Europe/Kyiv", true},
		{"UCT", "Etc/UTC", true},
		{"Zulu", "Etc/UTC", true},
		{"CET", "Europe/Brussels", true},
		{"US/Eastern", "America/New_York", true},
		{"utc", "", false},   // names are case-sensitive upstream
		{"Local", "", false}, // Go's special name must not leak through
		{"", "", false},      // LoadLocation("") would mean UTC
		{"Europe/Surprise", "", false},
		{"Factory", "", false}, // in the tz database, not in upstream's list
		{"America/Coyhaique", "", false},
		{"../../etc/passwd", "", false},
		{"Europe/Riga\x00", "", false},
		{" Europe/Riga", "", false},
	}
	for _, tt := range tests {
		got, err := NormalizeTZ(tt.in)
		if tt.ok {
			if err != nil || got != tt.want {
				t.Errorf("NormalizeTZ(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
			continue
		}
		if !errors.Is(err, ErrUnknownTZ) {
			t.Errorf("NormalizeTZ(%q) error = %v, want ErrUnknownTZ", tt.in, err)
		}
	}
}

func TestUnknownTZMessage(t *testing.T) {
	_, err := NormalizeTZ("X")
	if err == nil || err.Error() != `unknown time zone "X"` {
		t.Fatalf("error = %v", err)
	}
	_, err = NormalizeTZ(strings.Repeat("a", 10000))
	if err == nil || len(err.Error()) > 200 {
		t.Fatalf("long name gives a %d-byte message", len(err.Error()))
	}
}

func TestZoneTablesConsistent(t *testing.T) {
	if len(zoneNames) != 483 || len(legacyZones) != 113 {
		t.Errorf("tables hold %d names and %d aliases, upstream has 483 and 113", len(zoneNames), len(legacyZones))
	}
	for old, canonical := range legacyZones {
		if _, ok := zoneNames[canonical]; !ok {
			t.Errorf("alias %s maps to %s, which is not an accepted name", old, canonical)
		}
	}
}

// TestEmbeddedTZDataHasEveryZone checks the zone archive that time/tzdata
// embeds, so a static binary without /usr/share/zoneinfo can load every zone
// upstream accepts. (time.LoadLocation can't be forced to skip the system
// files, so the archive is read directly.)
func TestEmbeddedTZDataHasEveryZone(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("can't locate GOROOT to find lib/time/zoneinfo.zip: %v", err)
	}
	goroot := strings.TrimSpace(string(out))
	zr, err := zip.OpenReader(filepath.Join(goroot, "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("zone archive not available: %v", err)
	}
	defer zr.Close()
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	for name := range zoneNames {
		f, ok := files[name]
		if !ok {
			t.Errorf("zone %s is missing from Go's embedded tz database", name)
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", name, err)
		}
		if _, err := time.LoadLocationFromTZData(name, data); err != nil {
			t.Errorf("zone %s doesn't load from the embedded data: %v", name, err)
		}
	}
}

func TestEveryZoneLoads(t *testing.T) {
	for name := range zoneNames {
		if _, err := loadTZ(name); err != nil {
			t.Errorf("loadTZ(%s): %v", name, err)
		}
	}
	for name := range legacyZones {
		if _, err := loadTZ(name); err != nil {
			t.Errorf("loadTZ(%s): %v", name, err)
		}
	}
}
