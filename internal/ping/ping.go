// Package ping holds what a ping does to a check (the pure rules of
// upstream's Check.ping and of the ping view's classification) and the
// group-commit writer that records pings durably. It imports neither
// net/http nor database/sql: transports build an Event, storage is reached
// through the Committer interface.
package ping

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
)

// Action is what the ping URL asked for.
type Action string

// The actions a ping URL can name. An exit status is carried separately in
// Event.ExitStatus; the transport may leave Action as success for /<code>.
const (
	ActionSuccess Action = "success"
	ActionStart   Action = "start"
	ActionFail    Action = "fail"
	ActionLog     Action = "log"
)

// Event is one incoming ping as the transport saw it.
type Event struct {
	Action     Action
	ExitStatus *int
	// RID is the run id, a canonical lowercase UUID, or "" when absent.
	RID string
	// Body is already cut to PING_BODY_LIMIT by the transport.
	Body       []byte
	Method     string
	Scheme     string
	RemoteAddr string
	UA         string
	// Email marks pings that arrived by SMTP: the methods=POST rule and the
	// HTTP body filter never apply to them; the email filters (subject,
	// body) do.
	Email bool
	// Subject is an email's decoded Subject header (email pings only).
	Subject string
	// Text is an email's decoded text, which its body filter matches: the
	// first text/plain part and the first text/html part as text, joined by
	// a newline (email pings only; not stored, Body is).
	Text []byte
}

// ErrInvalidEvent is wrapped by Validate's errors.
var ErrInvalidEvent = errors.New("invalid ping event")

// Validate reports events no transport should produce, so that a bug
// upstream of the writer surfaces as an error instead of a strange row.
func (ev Event) Validate() error {
	switch ev.Action {
	case ActionSuccess, ActionStart, ActionFail, ActionLog:
	default:
		return fmt.Errorf("%w: unknown action %q", ErrInvalidEvent, ev.Action)
	}
	if ev.ExitStatus != nil && (*ev.ExitStatus < 0 || *ev.ExitStatus > 255) {
		return fmt.Errorf("%w: exit status %d outside 0-255", ErrInvalidEvent, *ev.ExitStatus)
	}
	if ev.RID != "" && !IsCanonicalUUID(ev.RID) {
		return fmt.Errorf("%w: run id %q is not a canonical lowercase UUID", ErrInvalidEvent, ev.RID)
	}
	return nil
}

// IsCanonicalUUID reports whether s is a UUID in the lowercase 8-4-4-4-12
// form, the only form upstream's URL patterns and run ids accept.
func IsCanonicalUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// Classify decides the kind of ping an event becomes for check c, before
// the manual-resume rule that Apply adds. The result is one of the
// model.Ping* kinds.
//
// Upstream decodes the body as strict UTF-8 before matching keywords and
// answers 500 on invalid input. We match keywords against the raw bytes
// instead: for valid UTF-8 the result is identical (substring search on
// UTF-8 is byte substring search), and for invalid input a client gets a
// classified ping instead of a server error.
func Classify(c *model.Check, ev Event) string {
	kind := kindOf(ev)
	if ev.Email {
		return classifyEmail(c, ev, kind)
	}
	if c.Methods == "POST" && ev.Method != "POST" {
		return model.PingIgnored
	}
	if !c.FilterHTTPBody {
		return kind
	}
	// The body filter overrides the URL, /fail, /log and an exit status
	// alike (the exit status itself is still stored).
	switch {
	case matchKeywords(ev.Body, c.FailureKw):
		return model.PingFail
	case matchKeywords(ev.Body, c.SuccessKw):
		return model.PingSuccess
	case matchKeywords(ev.Body, c.StartKw):
		return model.PingStart
	case c.FilterDefaultFail:
		return model.PingFail
	default:
		return model.PingIgnored
	}
}

// classifyEmail is upstream's smtpd rule: without a subject or body filter
// every email is a success (kind); with one, the keywords are looked for in
// the subject and/or the text (failure first, then success, then start),
// and a mail that matches none is a failure with FilterDefaultFail, else
// ignored.
func classifyEmail(c *model.Check, ev Event, kind string) string {
	if !c.FilterSubject && !c.FilterBody {
		return kind
	}
	// Upstream joins the chosen parts with "\n" and matches the whole; a
	// keyword may then span the subject and the text, which matching the
	// parts one by one would miss.
	var text []byte
	if c.FilterSubject {
		text = append(text, ev.Subject...)
	}
	if c.FilterBody {
		if c.FilterSubject {
			text = append(text, '\n')
		}
		text = append(text, ev.Text...)
	}
	switch {
	case matchKeywords(text, c.FailureKw):
		return model.PingFail
	case matchKeywords(text, c.SuccessKw):
		return model.PingSuccess
	case matchKeywords(text, c.StartKw):
		return model.PingStart
	case c.FilterDefaultFail:
		return model.PingFail
	default:
		return model.PingIgnored
	}
}

func kindOf(ev Event) string {
	if ev.ExitStatus != nil && *ev.ExitStatus > 0 {
		return model.PingFail
	}
	switch ev.Action {
	case ActionStart:
		return model.PingStart
	case ActionFail:
		return model.PingFail
	case ActionLog:
		return model.PingLog
	default:
		return model.PingSuccess
	}
}

// matchKeywords reports whether any comma-separated, trimmed (as Python's
// str.strip trims), non-empty keyword is a (case-sensitive) substring of body.
func matchKeywords(body []byte, keywords string) bool {
	for kw := range strings.SplitSeq(keywords, ",") {
		kw = pycompat.Strip(kw)
		if kw != "" && bytes.Contains(body, []byte(kw)) {
			return true
		}
	}
	return false
}

// hasConfirmLink mirrors upstream's `"confirm" in body.decode(errors=
// "replace").lower()` without allocating. An ASCII-only case fold is exact
// here: no non-ASCII character lower-cases (in Python) to one of the ASCII
// letters of "confirm" alone; U+0130 becomes "i" plus a combining dot, which
// doesn't match upstream either, whereas unicode.ToLower would map it to "i".
func hasConfirmLink(body []byte) bool {
	const word = "confirm"
	for i := 0; i+len(word) <= len(body); i++ {
		j := 0
		for ; j < len(word); j++ {
			c := body[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != word[j] {
				break
			}
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

// Apply is upstream's Check.ping applied to an in-memory copy: it classifies
// ev against c (Classify), applies the paused+manual_resume rule, and returns
// the updated check, the Ping row to insert and the Flip to insert, if any.
// alertAfter computes the check's new going-down time (schedule package);
// it is passed in so this package stays independent of schedule parsing.
// A nil alertAfter leaves AlertAfter as it was (the Writer refuses to run
// without one).
// Classification happens here, against the check as locked in the
// transaction, rather than against a possibly stale copy read earlier.
func Apply(c model.Check, ev Event, now time.Time, alertAfter func(*model.Check) *time.Time) (model.Check, model.Ping, *model.Flip) {
	kind := Classify(&c, ev)
	if c.Status == model.StatusPaused && c.ManualResume {
		kind = model.PingIgnored
	}

	var flip *model.Flip
	switch kind {
	case model.PingStart:
		// last_ping and status stay: a paused check stays paused, a new one new.
		c.LastStart = timePtr(now)
		c.LastStartRID = ev.RID
	case model.PingSuccess, model.PingFail:
		c.LastPing = timePtr(now)
		c.LastDuration = nil
		if c.LastStart != nil {
			switch {
			case c.LastStartRID == ev.RID: // "" == "" is upstream's NULL == NULL
				d := now.Sub(*c.LastStart)
				c.LastDuration = &d
				c.LastStart = nil
			case kind == model.PingFail || ev.RID == "":
				c.LastStart = nil
			default:
				// A success of another run: the started one is still running.
			}
		}
		newStatus := model.StatusUp
		reason := ""
		if kind == model.PingFail {
			newStatus, reason = model.StatusDown, "fail"
		}
		if c.Status != newStatus {
			flip = &model.Flip{
				CheckID:   c.ID,
				Created:   now,
				OldStatus: c.Status,
				NewStatus: newStatus,
				Reason:    reason,
			}
			c.Status = newStatus
		}
	}
	// log and ign leave status, last_ping and last_start alone.

	if alertAfter != nil {
		c.AlertAfter = alertAfter(&c)
	}
	c.NPings++
	c.HasConfirmationLink = hasConfirmLink(ev.Body)

	body := ev.Body
	if body == nil {
		body = []byte{} // upstream stores empty bytes, not NULL
	}
	p := model.Ping{
		CheckID:    c.ID,
		N:          c.NPings,
		Created:    now,
		Kind:       kind,
		Scheme:     ev.Scheme,
		RemoteAddr: ev.RemoteAddr,
		Method:     ev.Method,
		UA:         truncateRunes(ev.UA, maxUA),
		Body:       body,
		RID:        ev.RID,
		ExitStatus: ev.ExitStatus,
	}
	return c, p, flip
}

// maxUA is upstream's ua column width, in characters.
const maxUA = 200

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

func timePtr(t time.Time) *time.Time { return &t }
