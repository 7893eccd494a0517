package api

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/overdue/overdue/internal/checks"
	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/schedule"
)

// checkSpec is a validated create/update request: nil means "not given".
// Upstream validates with a strict pydantic model; its observable contract is
// reproduced here: fields are checked in the model's declaration order
// (alphabetical but for a few), only the first error is reported, unknown
// keys are ignored, and null counts as a float, so it fails with the field's
// own type error.
type checkSpec struct {
	channels, desc, failureKw                                    *string
	filterSubject, filterBody, filterHTTPBody, filterDefaultFail *bool
	grace                                                        *time.Duration
	manualResume                                                 *bool
	methods, name, schedule, slug, startKw                       *string
	subject, subjectFail, successKw, tags                        *string
	timeout                                                      *time.Duration
	tz                                                           *string
	unique                                                       []string
}

// validationError carries upstream's message, already prefixed.
type validationError string

func (e validationError) Error() string { return string(e) }

func vErr(field, tmpl string) error {
	return validationError("json validation error: " + strings.Replace(tmpl, "%s", field, 1))
}

// jsonFloat marks a value that must fail every type check, as upstream's
// substitution of 0.0 for null does.
type jsonFloat struct{}

// parseSpec validates a create/update document. With rejectNUL (the store
// is PostgreSQL, whose text columns cannot hold U+0000) a free-text field
// holding a NUL character is a validation error rather than a failed write
// (upstream answers 500 there). slug, schedule and tz keep their own errors
// (no valid one holds a NUL), and channels never reaches the database.
func parseSpec(doc map[string]any, rejectNUL bool) (*checkSpec, error) {
	get := func(k string) (any, bool) {
		v, ok := doc[k]
		if ok && v == nil {
			return jsonFloat{}, true
		}
		return v, ok
	}
	sp := &checkSpec{}
	var err error
	str := func(field string, maxLen int, dst **string) {
		if err != nil {
			return
		}
		v, ok := get(field)
		if !ok {
			return
		}
		s, isStr := v.(string)
		switch {
		case !isStr:
			err = vErr(field, "%s is not a string")
		case maxLen > 0 && utf8.RuneCountInString(s) > maxLen:
			err = vErr(field, "%s is too long")
		case rejectNUL && isFreeText(field) && strings.IndexByte(s, 0) >= 0:
			err = vErr(field, "%s contains a NUL character")
		default:
			*dst = &s
		}
	}
	boolean := func(field string, dst **bool) {
		if err != nil {
			return
		}
		v, ok := get(field)
		if !ok {
			return
		}
		if b, isBool := v.(bool); isBool {
			*dst = &b
		} else {
			err = vErr(field, "%s is not a boolean")
		}
	}
	period := func(field string, dst **time.Duration) {
		if err != nil {
			return
		}
		v, ok := get(field)
		if !ok {
			return
		}
		secs, perr := jsonSeconds(v)
		switch {
		case perr != nil:
			err = vErr(field, "%s is not a number")
		case secs < int64(checks.MinPeriod/time.Second):
			err = vErr(field, "%s is too small")
		case secs > int64(checks.MaxPeriod/time.Second):
			err = vErr(field, "%s is too large")
		default:
			d := time.Duration(secs) * time.Second
			*dst = &d
		}
	}

	str("channels", 0, &sp.channels)
	str("desc", 0, &sp.desc)
	str("failure_kw", checks.MaxKeywordsLen, &sp.failureKw)
	boolean("filter_subject", &sp.filterSubject)
	boolean("filter_body", &sp.filterBody)
	boolean("filter_http_body", &sp.filterHTTPBody)
	boolean("filter_default_fail", &sp.filterDefaultFail)
	period("grace", &sp.grace)
	boolean("manual_resume", &sp.manualResume)
	if v, ok := get("methods"); ok && err == nil {
		if s, isStr := v.(string); isStr && (s == "" || s == "POST") {
			sp.methods = &s
		} else {
			err = vErr("methods", "%s has unexpected value")
		}
	}
	str("name", checks.MaxNameLen, &sp.name)
	str("schedule", checks.MaxScheduleLen, &sp.schedule)
	if sp.schedule != nil && err == nil {
		// Validity does not depend on the zone: upstream tries the
		// expression from 2000-01-01 UTC.
		if _, perr := schedule.Parse(schedule.GuessKind(*sp.schedule), *sp.schedule, model.DefaultTZ); perr != nil {
			err = vErr("schedule", "%s is not a valid cron or OnCalendar expression")
		}
	}
	str("slug", checks.MaxSlugLen, &sp.slug)
	if sp.slug != nil && err == nil && !checks.IsSlug(*sp.slug) {
		err = vErr("slug", "%s does not match pattern")
	}
	str("start_kw", checks.MaxKeywordsLen, &sp.startKw)
	str("subject", checks.MaxKeywordsLen, &sp.subject)
	str("subject_fail", checks.MaxKeywordsLen, &sp.subjectFail)
	str("success_kw", checks.MaxKeywordsLen, &sp.successKw)
	str("tags", 0, &sp.tags)
	period("timeout", &sp.timeout)
	str("tz", 0, &sp.tz)
	if sp.tz != nil && err == nil {
		if tz, terr := schedule.NormalizeTZ(*sp.tz); terr == nil {
			sp.tz = &tz
		} else {
			err = vErr("tz", "%s is not a valid timezone")
		}
	}
	if v, ok := get("unique"); ok && err == nil {
		items, isList := v.([]any)
		if !isList {
			err = vErr("unique", "%s is not an array")
		}
		for _, it := range items {
			s, _ := it.(string)
			switch s {
			case "name", "slug", "tags", "timeout", "grace":
				sp.unique = append(sp.unique, s)
				continue
			}
			err = validationError("json validation error: an item in 'unique' has unexpected value")
			break
		}
	}
	if err != nil {
		return nil, err
	}
	return sp, nil
}

// isFreeText reports whether a string field is stored as given (see parseSpec).
func isFreeText(field string) bool {
	switch field {
	case "name", "desc", "tags", "start_kw", "success_kw", "failure_kw", "subject", "subject_fail":
		return true
	}
	return false
}

var errNotInt = errors.New("not an integer")

// jsonSeconds reads a period the way upstream does: a JSON integer (or a
// boolean, which Python counts as an integer) is seconds; anything else,
// floats included, is not a number. Integers beyond int64 saturate, so they
// still fail the range check with the right word.
func jsonSeconds(v any) (int64, error) {
	switch v := v.(type) {
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case json.Number:
		s := string(v)
		if strings.ContainsAny(s, ".eE") {
			return 0, errNotInt
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			if strings.HasPrefix(s, "-") {
				return -1 << 63, nil
			}
			return 1<<63 - 1, nil
		}
		return n, nil
	}
	return 0, errNotInt
}

// kind is the schedule kind the request asks for: a non-empty schedule
// decides it (and the timeout is then ignored), a timeout alone makes the
// check simple, neither leaves the kind unchanged ("").
func (sp *checkSpec) kind() string {
	if sp.schedule != nil && *sp.schedule != "" {
		return schedule.GuessKind(*sp.schedule)
	}
	if sp.timeout != nil && *sp.timeout != 0 {
		return model.KindSimple
	}
	return ""
}

// apply changes c as upstream's _update does, in its order: name (and the
// slug derived from it before v3), kind with timeout or schedule, the
// deprecated subject fields, then the plain fields, so an explicit slug or
// filter_subject wins over a derived one.
func (sp *checkSpec) apply(c *model.Check, v int) {
	if sp.name != nil {
		c.Name = *sp.name
		if v < 3 {
			c.Slug = slugify(*sp.name)
		}
	}
	switch k := sp.kind(); k {
	case model.KindSimple:
		c.Kind, c.Timeout = k, *sp.timeout
	case model.KindCron, model.KindOnCalendar:
		c.Kind, c.Schedule = k, *sp.schedule
	}
	if sp.subject != nil {
		c.SuccessKw = *sp.subject
		c.FilterSubject = c.SuccessKw != "" || c.FailureKw != ""
	}
	if sp.subjectFail != nil {
		c.FailureKw = *sp.subjectFail
		c.FilterSubject = c.SuccessKw != "" || c.FailureKw != ""
	}
	setS := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	setB := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	setS(&c.Slug, sp.slug)
	setS(&c.Tags, sp.tags)
	setS(&c.Desc, sp.desc)
	setB(&c.ManualResume, sp.manualResume)
	setS(&c.Methods, sp.methods)
	setS(&c.TZ, sp.tz)
	setS(&c.StartKw, sp.startKw)
	setS(&c.SuccessKw, sp.successKw)
	setS(&c.FailureKw, sp.failureKw)
	setB(&c.FilterSubject, sp.filterSubject)
	setB(&c.FilterBody, sp.filterBody)
	setB(&c.FilterHTTPBody, sp.filterHTTPBody)
	setB(&c.FilterDefaultFail, sp.filterDefaultFail)
	if sp.grace != nil {
		c.Grace = *sp.grace
	}
}

// matches reports whether c equals the request in every field named by
// unique; false when one of them is missing from the request, which makes
// the request create a new check.
func (sp *checkSpec) matches(c *model.Check) bool {
	for _, f := range sp.unique {
		switch f {
		case "name":
			if sp.name == nil || c.Name != *sp.name {
				return false
			}
		case "slug":
			if sp.slug == nil || c.Slug != *sp.slug {
				return false
			}
		case "tags":
			if sp.tags == nil || c.Tags != *sp.tags {
				return false
			}
		case "timeout":
			if sp.timeout == nil || c.Timeout != *sp.timeout {
				return false
			}
		case "grace":
			if sp.grace == nil || c.Grace != *sp.grace {
				return false
			}
		}
	}
	return true
}

// slugify is Django's slugify without allow_unicode: NFKD, drop what is not
// ASCII, lower-case, keep word characters, whitespace and hyphens, collapse
// runs of whitespace and hyphens into one hyphen, trim hyphens and
// underscores at both ends.
func slugify(s string) string {
	var b strings.Builder
	pendingDash := false
	for _, r := range norm.NFKD.String(s) {
		if r >= 0x80 {
			continue
		}
		c := byte(r)
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_':
			if pendingDash {
				b.WriteByte('-')
				pendingDash = false
			}
			b.WriteByte(c)
		case c == '-' || c == ' ' || c >= '\t' && c <= '\r' || c >= 0x1c && c <= 0x1f:
			pendingDash = true
		}
	}
	if pendingDash {
		b.WriteByte('-')
	}
	return strings.Trim(b.String(), "-_")
}
