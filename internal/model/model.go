// Package model holds the plain structs shared by every layer. It imports
// neither net/http nor database/sql: the pure packages (schedule, ping) work
// on these types without a database or a server.
package model

import (
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/overdue/overdue/internal/pycompat"
)

// Stored check statuses. "grace" and "started" are derived, never stored.
const (
	StatusNew     = "new"
	StatusUp      = "up"
	StatusDown    = "down"
	StatusPaused  = "paused"
	StatusGrace   = "grace"
	StatusStarted = "started"
)

// Schedule kinds.
const (
	KindSimple     = "simple"
	KindCron       = "cron"
	KindOnCalendar = "oncalendar"
)

// Ping kinds as upstream stores them; success is the empty string (NULL upstream).
const (
	PingSuccess = ""
	PingStart   = "start"
	PingFail    = "fail"
	PingLog     = "log"
	PingIgnored = "ign"
)

// User is an account. Password holds an encoded hash (argon2id, or an imported
// Django pbkdf2 hash), never the password itself.
type User struct {
	ID          int64
	Email       string
	Password    string
	IsSuperuser bool
	Created     time.Time
	// PingLogLimit is how many pings are kept per check owned by this user.
	PingLogLimit int
	// CheckLimit counts checks across every project the user owns.
	CheckLimit int
	// NagPeriod is how often reminders about checks that stay down are
	// emailed (upstream's nag_period: 0 off, an hour or a day).
	NagPeriod time.Duration
	// NextNagDate is when the next reminder is due; nil when none is.
	NextNagDate *time.Time
	// Theme is the pages' colour scheme: ThemeLight, ThemeDark or
	// ThemeSystem (follow the browser).
	Theme string
	// Reports is how often the summary email goes out (upstream's
	// Profile.reports): ReportsOff, ReportsDaily, ReportsWeekly or
	// ReportsMonthly; "" is stored as ReportsMonthly, upstream's default.
	Reports string
	// NextReportDate is when the next report is due; nil when none is
	// planned yet (the report sender plans it without sending).
	NextReportDate *time.Time
	// TZ is the user's IANA time zone ("" is stored as UTC): reports cover
	// whole days, weeks and months there and go out at 09:00 local time.
	TZ string
}

// The report frequencies (upstream's REPORT_CHOICES).
const (
	ReportsOff     = "off"
	ReportsDaily   = "daily"
	ReportsWeekly  = "weekly"
	ReportsMonthly = "monthly"
)

// ValidReports reports whether freq is one of those.
func ValidReports(freq string) bool {
	switch freq {
	case ReportsOff, ReportsDaily, ReportsWeekly, ReportsMonthly:
		return true
	}
	return false
}

// The themes a user may pick (upstream's Profile.theme stores "" for
// light).
const (
	ThemeLight  = "light"
	ThemeDark   = "dark"
	ThemeSystem = "system"
)

// Project groups checks, channels and API keys. Keys are stored as given by
// upstream's importer; new API keys are stored as SHA-256 hashes (APIKeyHash).
type Project struct {
	ID      int64
	Code    string // UUID
	Name    string
	OwnerID int64
	// APIKey and APIKeyReadonly hold SHA-256 hex digests of the keys, or "".
	APIKey         string
	APIKeyReadonly string
	// PingKey is the public key of slug ping URLs (22 url-safe chars).
	PingKey   string
	ShowSlugs bool
	BadgeKey  string
	Created   time.Time
}

// Check is one monitored job.
type Check struct {
	ID        int64
	Code      string // the ping UUID, canonical lowercase
	ProjectID int64
	Name      string
	Slug      string
	Tags      string
	Desc      string
	Created   time.Time

	Kind     string        // simple, cron, oncalendar
	Timeout  time.Duration // simple kind only
	Grace    time.Duration
	Schedule string
	TZ       string

	FilterSubject     bool
	FilterBody        bool
	FilterHTTPBody    bool
	FilterDefaultFail bool
	StartKw           string
	SuccessKw         string
	FailureKw         string
	Methods           string // "" or "POST"
	ManualResume      bool
	BadgeKey          string

	Status              string
	NPings              int64
	LastPing            *time.Time
	LastStart           *time.Time
	LastStartRID        string // "" when NULL
	LastDuration        *time.Duration
	HasConfirmationLink bool
	// AlertAfter is when the alert engine must look at the check again; nil
	// when the check can't go down on its own.
	AlertAfter *time.Time
}

// Ping is one recorded request or email.
type Ping struct {
	ID         int64
	CheckID    int64
	N          int64
	Created    time.Time
	Kind       string // see the Ping* constants
	Scheme     string
	RemoteAddr string
	Method     string
	UA         string
	Body       []byte
	RID        string // "" when NULL
	ExitStatus *int
}

// Flip is a status change that may notify channels.
type Flip struct {
	ID        int64
	CheckID   int64
	Created   time.Time
	OldStatus string
	NewStatus string
	// Reason is "" (ping), "fail" (a failure ping) or "timeout" (went down by time).
	Reason    string
	Processed *time.Time
}

// ReasonLong is upstream's Flip.reason_long: why the check flipped, in
// the words users know from its alerts ("" for a flip caused by a ping).
func (f Flip) ReasonLong() string {
	switch f.Reason {
	case "timeout":
		return "success signal did not arrive on time, grace time passed"
	case "fail":
		return "received a failure signal"
	}
	return ""
}

// Channel is one integration (email address, webhook, Slack, ...).
type Channel struct {
	ID            int64
	Code          string // UUID
	ProjectID     int64
	Name          string
	Kind          string
	Value         string // kind-specific configuration, usually JSON
	Created       time.Time
	EmailVerified bool
	Disabled      bool
	LastError     string
	LastNotify    *time.Time
	// LastNotifyDuration is how long the last send took.
	LastNotifyDuration *time.Duration
}

// Notification is one outbox row: a message to one channel about one flip.
type Notification struct {
	ID          int64
	Code        string // UUID
	CheckID     int64
	ChannelID   int64
	FlipID      *int64
	CheckStatus string
	Created     time.Time
	// Status is "queued", "sending", "sent" or "failed".
	Status     string
	Attempts   int
	NextTry    time.Time
	LeaseUntil *time.Time
	Error      string
	Duration   *time.Duration
}

// Upstream's defaults for a new check.
const (
	DefaultTimeout  = 24 * time.Hour
	DefaultGrace    = time.Hour
	DefaultSchedule = "* * * * *"
	DefaultTZ       = "UTC"
)

// NewCheck returns a check with upstream's defaults (simple kind, a period of
// one day, one hour of grace) and fresh random UUIDs for its ping URL and badge.
func NewCheck(projectID int64, now time.Time) Check {
	return Check{
		Code:      uuid.NewString(),
		ProjectID: projectID,
		Created:   now.UTC(),
		Kind:      KindSimple,
		Timeout:   DefaultTimeout,
		Grace:     DefaultGrace,
		Schedule:  DefaultSchedule,
		TZ:        DefaultTZ,
		BadgeKey:  uuid.NewString(),
		Status:    StatusNew,
	}
}

// TagsList splits the space-separated tags the way upstream does (split on
// " " only, each item stripped of Python's whitespace, empty items dropped);
// a check's tag matches only as a whole item.
func (c *Check) TagsList() []string {
	var out []string
	for _, t := range strings.Split(c.Tags, " ") {
		if t = pycompat.Strip(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// UniqueKey is upstream's stable public identifier of a check: the SHA-1 hex
// digest of the first 16 hex digits of its UUID. Read-only API responses,
// metrics labels and de-duplication keys of integrations use it.
func (c *Check) UniqueKey() string {
	hexDigits := strings.ReplaceAll(c.Code, "-", "")
	if len(hexDigits) > 16 {
		hexDigits = hexDigits[:16]
	}
	sum := sha1.Sum([]byte(hexDigits))
	return hex.EncodeToString(sum[:])
}

// NameThenCode is the check's name, or its UUID when it has none.
func (c *Check) NameThenCode() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Code
}
