package schedule

import (
	"errors"
	"fmt"
	"time"

	// The release binary is static and may run where /usr/share/zoneinfo is
	// missing (scratch or distroless images); every zone upstream accepts
	// must still load.
	_ "time/tzdata"
)

// ErrUnknownTZ is wrapped by every error about a time zone name that upstream
// would not accept.
var ErrUnknownTZ = errors.New("unknown time zone")

// NormalizeTZ returns the canonical name for a zone upstream accepts: names
// from upstream's list come back unchanged and the legacy aliases it still
// accepts come back as the zone it stores instead (Europe/Kiev becomes
// Europe/Kyiv, UCT becomes Etc/UTC). Anything else, including names the tz
// database knows but upstream does not list, is an error wrapping ErrUnknownTZ.
func NormalizeTZ(name string) (string, error) {
	if canonical, ok := legacyZones[name]; ok {
		name = canonical
	}
	if _, ok := zoneNames[name]; !ok {
		return "", fmt.Errorf("%w %s", ErrUnknownTZ, quoteShort(name))
	}
	return name, nil
}

// loadTZ normalizes name and loads its location.
func loadTZ(name string) (*time.Location, error) {
	canonical, err := NormalizeTZ(name)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(canonical)
	if err != nil {
		// Only reachable if the embedded tz database lacks a listed zone.
		return nil, fmt.Errorf("%w %s: %w", ErrUnknownTZ, quoteShort(name), err)
	}
	return loc, nil
}

// quoteShort quotes user input for an error message, cut short so a hostile
// 10 KB value doesn't end up in logs or on a terminal in full.
func quoteShort(s string) string {
	const limit = 64
	r := []rune(s)
	if len(r) <= limit {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q...", string(r[:limit]))
}
