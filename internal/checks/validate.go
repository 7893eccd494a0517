package checks

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule"
)

// Field limits, as upstream's API and forms enforce them (lengths in
// characters).
const (
	MaxNameLen     = 100
	MaxTagsLen     = 500 // the UI's limit; upstream's API does not check it
	MaxKeywordsLen = 200
	MaxScheduleLen = schedule.MaxScheduleLen
	MaxTZLen       = 36
	MinPeriod      = schedule.MinPeriod
	MaxPeriod      = schedule.MaxPeriod
)

// IsSlug is upstream's slug pattern ^[a-z0-9-_]*$ (the empty slug too).
func IsSlug(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Problem is a validator's answer: a sentence fit to show next to a form
// field.
type Problem string

func (p Problem) Error() string { return string(p) }

func problemf(format string, args ...any) error { return Problem(fmt.Sprintf(format, args...)) }

var errNUL error = Problem("This may not contain a NUL character.")

// TooLong reports whether s has more than n characters.
func TooLong(s string, n int) bool { return utf8.RuneCountInString(s) > n }

// free checks a free-text value: PostgreSQL cannot store U+0000, so no
// engine takes it, and the value must be valid UTF-8.
func free(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return errNUL
	}
	if !utf8.ValidString(s) {
		return Problem("This is not valid UTF-8 text.")
	}
	return nil
}

// ValidateName checks a check's name.
func ValidateName(s string) error {
	if TooLong(s, MaxNameLen) {
		return problemf("A name is at most %d characters long.", MaxNameLen)
	}
	return free(s)
}

// ValidateSlug checks a slug.
func ValidateSlug(s string) error {
	if len(s) > MaxSlugLen {
		return problemf("A slug is at most %d characters long.", MaxSlugLen)
	}
	if !IsSlug(s) {
		return Problem("A slug holds only lowercase letters, digits, \"-\" and \"_\".")
	}
	return nil
}

// NormalizeTags is the UI's tag rule (upstream's NameTagsForm): at most
// 500 characters, split on spaces, empty items dropped, joined by one space.
func NormalizeTags(s string) (string, error) {
	if TooLong(s, MaxTagsLen) {
		return "", problemf("Tags are at most %d characters long.", MaxTagsLen)
	}
	if err := free(s); err != nil {
		return "", err
	}
	var out []string
	for _, t := range strings.Split(s, " ") {
		if t = pycompat.Strip(t); t != "" {
			out = append(out, t)
		}
	}
	return strings.Join(out, " "), nil
}

// ValidateDesc checks a description (no length limit, as upstream).
func ValidateDesc(s string) error { return free(s) }

// ValidateKeywords checks a comma-separated keyword list of the filters.
func ValidateKeywords(s string) error {
	if TooLong(s, MaxKeywordsLen) {
		return problemf("A keyword list is at most %d characters long.", MaxKeywordsLen)
	}
	return free(s)
}

// ValidatePeriod checks a period or grace time: whole seconds from one
// minute to 365 days.
func ValidatePeriod(d time.Duration) error {
	if d%time.Second != 0 || d < MinPeriod || d > MaxPeriod {
		return Problem("Choose from 1 minute to 365 days, in whole seconds.")
	}
	return nil
}

// ValidateMethods checks the allowed-methods choice: "" (any) or "POST".
func ValidateMethods(s string) error {
	if s != "" && s != "POST" {
		return Problem("Choose Any or POST.")
	}
	return nil
}

// ValidateKind checks a schedule kind.
func ValidateKind(kind string) error {
	switch kind {
	case model.KindSimple, model.KindCron, model.KindOnCalendar:
		return nil
	}
	return Problem("Choose simple, cron or OnCalendar.")
}

// NormalizeTZ returns the canonical name of a zone upstream accepts
// (legacy aliases are converted), or a sentence saying it is not one.
func NormalizeTZ(tz string) (string, error) {
	if len(tz) > 64 {
		return "", Problem("Not a valid time zone.")
	}
	canon, err := schedule.NormalizeTZ(tz)
	if err != nil {
		return "", Problem("Not a valid time zone.")
	}
	return canon, nil
}

// ValidateSchedule checks a cron or OnCalendar expression as upstream's
// forms do (five fields for cron; at most four parts per OnCalendar line; a
// fire time after 2000-01-01), in zone tz, which must be valid already.
func ValidateSchedule(kind, expr, tz string) error {
	if TooLong(expr, MaxScheduleLen) {
		return problemf("A schedule is at most %d characters long.", MaxScheduleLen)
	}
	if _, err := schedule.Parse(kind, expr, tz); err != nil {
		if kind == model.KindCron {
			return Problem("Not a valid cron expression.")
		}
		return Problem("Not a valid OnCalendar expression.")
	}
	return nil
}
