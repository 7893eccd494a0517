package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/pycompat"
	"github.com/overdue/overdue/internal/schedule"
	"github.com/overdue/overdue/internal/store"
)

// BadgeStore is what the badge endpoints read; *store.Store implements it.
type BadgeStore interface {
	ProjectByBadgeKey(ctx context.Context, key string) (model.Project, error)
	ListChecks(ctx context.Context, projectID int64) ([]model.Check, error)
	CheckByBadgeKey(ctx context.Context, key string) (model.Check, error)
}

// Badges serves upstream's public status badges: /badge/<key>/<sig>/<tag>.<fmt>,
// /badge/<key>/<sig>.<fmt> (every check) and /b/<states>/<check badge key>.<fmt>.
type Badges struct {
	store       BadgeStore
	secretKey   string
	masterLabel string
	cache       *schedule.Cache
	now         func() time.Time
	log         *slog.Logger
	links       linkTable
}

// NewBadges builds the badge handler. secretKey must be the SECRET_KEY that
// signed the URLs (upstream's, for imported projects); masterLabel is
// MASTER_BADGE_LABEL, the label of the all-checks badge.
func NewBadges(s BadgeStore, secretKey, masterLabel string, cache *schedule.Cache, now func() time.Time, log *slog.Logger) *Badges {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Badges{store: s, secretKey: secretKey, masterLabel: masterLabel, cache: cache, now: now, log: log}
	b.links = b.badgeRoutes()
	return b
}

// BadgeSignature is upstream's badge URL signature for a tag ("*" for all
// checks): Django's base64_hmac with SHA-1, i.e. unpadded URL-safe base64 of
// HMAC-SHA1(key=SHA1(badgeKey+secretKey), msg=tag), cut to 8 characters.
// Existing badge URLs stay valid after an import only with this exact scheme.
func BadgeSignature(badgeKey, tag, secretKey string) string {
	k := sha1.Sum([]byte(badgeKey + secretKey))
	mac := hmac.New(sha1.New, k[:])
	mac.Write([]byte(tag))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))[:8]
}

// BadgeURL is the absolute URL of a project badge; withLate selects the
// 3-state variant (late shown), otherwise the signature gets upstream's "-2".
func BadgeURL(siteRoot, badgeKey, tag, fmtName, secretKey string, withLate bool) string {
	sig := BadgeSignature(badgeKey, tag, secretKey)
	if !withLate {
		sig += "-2"
	}
	if tag == "*" {
		return siteRoot + "/badge/" + badgeKey + "/" + sig + "." + fmtName
	}
	return siteRoot + "/badge/" + badgeKey + "/" + sig + "/" + badgeTagPath(tag) + "." + fmtName
}

// CheckBadgeURL is the absolute URL of one check's badge (upstream's
// /b/<states>/<badge_key>.<fmt>): 2 states (up, down), or 3 with "late".
func CheckBadgeURL(siteRoot, badgeKey, fmtName string, withLate bool) string {
	states := "/b/2/"
	if withLate {
		states = "/b/3/"
	}
	return siteRoot + states + badgeKey + "." + fmtName
}

// badgeTagPath escapes a tag as upstream's URLs carry it: its "quoted" path
// converter percent-encodes every byte but [A-Za-z0-9_.~-], and Django's
// reverse() then encodes the "%" signs again ("a b" becomes "a%2520b"). The
// badge handler undoes both, so links from the badges/ API keep working.
func badgeTagPath(tag string) string {
	return strings.ReplaceAll(pycompat.Quote(tag, ""), "%", "%25")
}

func (b *Badges) ServeHTTP(w http.ResponseWriter, r *http.Request) { b.links.ServeHTTP(w, r) }

// Routes lists the badge URLs, as api.(*API).Routes lists the API's.
func (b *Badges) Routes() []string { return b.links.Routes() }

// badgeRoutes are upstream's badge URL patterns (hc/api/urls.py). The
// badge views are not csrf_exempt: Django's CSRF middleware refuses POST,
// PUT, PATCH, DELETE (any unsafe method) before the cors decorator could
// answer 405.
func (b *Badges) badgeRoutes() linkTable {
	get := []string{http.MethodGet}
	project := func(tag string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			t := tag
			if t == "" {
				t = pycompat.Unquote(r.PathValue("tag"))
			}
			b.projectBadge(w, r, r.PathValue("badge_key"), r.PathValue("signature"), t, r.PathValue("fmt"))
		}
	}
	return newLinkTable(
		&linkRoute{pattern: "/badge/{badge_key}/{signature}/{tag}.{fmt}", methods: get, csrf: true, serve: project("")},
		&linkRoute{pattern: "/badge/{badge_key}/{signature}.{fmt}", methods: get, csrf: true, serve: project("*")},
		// Only states == 3 (any number of leading zeros) shows "late"; any
		// other number of states is accepted.
		&linkRoute{pattern: "/b/{states}/{badge_uuid}.{fmt}", methods: get, csrf: true, serve: func(w http.ResponseWriter, r *http.Request) {
			b.checkBadge(w, r, strings.TrimLeft(r.PathValue("states"), "0") == "3", r.PathValue("badge_uuid"), r.PathValue("fmt"))
		}},
	)
}

// badgeHeaders are what upstream's never_cache and cors("GET") decorators
// add to every response of the badge views. A path that matches no URL
// pattern (and a check badge with an unknown key, which raises Http404
// through the decorators) gets Django's plain 404 page without them.
func badgeHeaders(w http.ResponseWriter) {
	neverCache(w)
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "X-Api-Key")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Max-Age", "600")
}

// badgeRequestOK answers what upstream's cors decorator and format check
// answer before a badge is computed: OPTIONS (204), the other safe methods
// but GET (HEAD, TRACE: 405), an unknown format (404), all with empty
// bodies. It reports whether to go on.
func badgeRequestOK(w http.ResponseWriter, r *http.Request, format string) bool {
	switch {
	case r.Method == http.MethodOptions:
		writeEmpty(w, http.StatusNoContent)
	case r.Method != http.MethodGet:
		writeEmpty(w, http.StatusMethodNotAllowed)
	case format != "svg" && format != "json" && format != "shields":
		writeEmpty(w, http.StatusNotFound)
	default:
		return true
	}
	return false
}

// projectBadge is upstream's badge view: tag "*" is every check.
func (b *Badges) projectBadge(w http.ResponseWriter, r *http.Request, key, sig, tag, format string) {
	badgeHeaders(w)
	if !badgeRequestOK(w, r, format) {
		return
	}
	withLate := !(len(sig) == 10 && strings.HasSuffix(sig, "-2"))
	want := BadgeSignature(key, tag, b.secretKey)
	if len(sig) < 8 || subtle.ConstantTimeCompare([]byte(sig[:8]), []byte(want)) != 1 {
		writeEmpty(w, http.StatusNotFound)
		return
	}
	ctx := r.Context()
	proj, err := b.store.ProjectByBadgeKey(ctx, key)
	var checks []model.Check
	switch {
	case errors.Is(err, store.ErrNotFound):
		// A valid signature for a key no project has: upstream counts zero
		// checks and shows "up".
	case err != nil:
		b.fail(w, err)
		return
	default:
		if checks, err = b.store.ListChecks(ctx, proj.ID); err != nil {
			b.fail(w, err)
			return
		}
	}
	label := tag
	if tag == "*" {
		label = b.masterLabel
	}
	status, total, grace, down := "up", 0, 0, 0
	now := b.now()
	for i := range checks {
		c := &checks[i]
		if tag != "*" && !hasTag(c, tag) {
			continue
		}
		total++
		switch b.status(c, now) {
		case model.StatusDown:
			down++
			status = "down"
		case model.StatusGrace:
			grace++
			if status == "up" && withLate {
				status = "late"
			}
		}
	}
	writeBadge(w, format, label, status, total, grace, down)
}

// checkBadge is upstream's check_badge view.
func (b *Badges) checkBadge(w http.ResponseWriter, r *http.Request, withLate bool, code, format string) {
	if r.Method != http.MethodGet {
		badgeHeaders(w)
		badgeRequestOK(w, r, format)
		return
	}
	if format != "svg" && format != "json" && format != "shields" {
		badgeHeaders(w)
		writeEmpty(w, http.StatusNotFound)
		return
	}
	c, err := b.store.CheckByBadgeKey(r.Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		// get_object_or_404 raises through the decorators: no CORS headers.
		notFoundPage(w)
		return
	}
	badgeHeaders(w)
	if err != nil {
		b.fail(w, err)
		return
	}
	st := b.status(&c, b.now())
	status, grace, down := "up", 0, 0
	switch {
	case st == model.StatusDown:
		status, down = "down", 1
	case st == model.StatusGrace:
		grace = 1
		if withLate {
			status = "late"
		}
	}
	writeBadge(w, format, c.NameThenCode(), status, 1, grace, down)
}

// status is the check's current status; a schedule that no longer parses
// counts as up rather than failing the whole badge.
func (b *Badges) status(c *model.Check, now time.Time) string {
	st, _, err := schedule.Evaluate(c, b.cache, now)
	if err != nil {
		b.log.Warn("badge: cannot evaluate schedule", "check", c.Code, "err", err)
		return model.StatusUp
	}
	return st
}

func (b *Badges) fail(w http.ResponseWriter, err error) {
	b.log.Error("badge", "err", err)
	w.WriteHeader(http.StatusServiceUnavailable)
}

func hasTag(c *model.Check, tag string) bool {
	for _, t := range c.TagsList() {
		if t == tag {
			return true
		}
	}
	return false
}

var shieldsColors = map[string]string{"up": "success", "late": "important", "down": "critical"}

// writeBadge renders one of the three formats. The JSON is written with
// Python's separators (", " and ": ") and key order, byte for byte what
// upstream's JsonResponse sends.
func writeBadge(w http.ResponseWriter, format, label, status string, total, grace, down int) {
	switch format {
	case "shields":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"schemaVersion": 1, "label": %s, "message": %s, "color": %s}`,
			pycompat.JSONString(label), pycompat.JSONString(status), pycompat.JSONString(shieldsColors[status]))
	case "json":
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"status": %s, "total": %d, "grace": %d, "down": %d}`, pycompat.JSONString(status), total, grace, down)
	default:
		w.Header().Set("Content-Type", "image/svg+xml")
		_, _ = w.Write([]byte(BadgeSVG(label, status)))
	}
}

// charWidths are upstream's per-character widths (in pixels at 11px Verdana)
// used to size the two halves of an SVG badge; other characters count 7.
var charWidths = func() map[rune]int {
	m := map[rune]int{'-': 4, '_': 6}
	lower := []int{7, 7, 6, 7, 6, 4, 7, 7, 3, 3, 7, 3, 10, 7, 7, 7, 7, 4, 6, 5, 7, 7, 9, 6, 7, 7}
	upper := []int{8, 7, 8, 8, 7, 6, 9, 8, 3, 4, 7, 6, 10, 8, 9, 6, 9, 7, 7, 7, 8, 8, 11, 7, 7, 7}
	for i := 0; i < 26; i++ {
		m['a'+rune(i)] = lower[i]
		m['A'+rune(i)] = upper[i]
	}
	for d := '0'; d <= '9'; d++ {
		m[d] = 7
	}
	m['1'] = 6
	return m
}()

func textWidth(s string) int {
	n := 0
	for _, r := range s {
		if w, ok := charWidths[r]; ok {
			n += w
		} else {
			n += 7
		}
	}
	return n
}

// djangoEscape is the autoescaping of upstream's badge template.
var djangoEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")

var badgeColors = map[string]string{"up": "#4c1", "late": "#fe7d37", "down": "#e05d44"}

// BadgeSVG draws a flat two-part badge: the label on grey, the status on its
// colour. The geometry matches upstream's so existing READMEs look the same.
func BadgeSVG(label, status string) string {
	w1 := textWidth(label) + 10
	w2 := textWidth(status) + 10
	width := strconv.Itoa(w1 + w2)
	tagX := pycompat.FloatRepr(float64(w1) / 2)
	statusX := pycompat.FloatRepr(float64(w1) + float64(w2)/2)
	l, st := djangoEscape.Replace(label), djangoEscape.Replace(status)
	var b strings.Builder
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="` + width + `" height="20">` + "\n")
	b.WriteString(`  <linearGradient id="smooth" x2="0" y2="100%">` + "\n")
	b.WriteString(`    <stop offset="0" stop-color="#bbb" stop-opacity=".1"/>` + "\n")
	b.WriteString(`    <stop offset="1" stop-opacity=".1"/>` + "\n")
	b.WriteString("  </linearGradient>\n\n")
	b.WriteString(`  <mask id="round">` + "\n")
	b.WriteString(`    <rect width="` + width + `" height="20" rx="3" fill="#fff"/>` + "\n")
	b.WriteString("  </mask>\n\n")
	b.WriteString(`  <g mask="url(#round)">` + "\n")
	b.WriteString(`    <rect width="` + strconv.Itoa(w1) + `" height="20" fill="#555"/>` + "\n")
	b.WriteString(`    <rect x="` + strconv.Itoa(w1) + `" width="` + strconv.Itoa(w2) + `" height="20" fill="` + badgeColors[status] + `"/>` + "\n")
	b.WriteString(`    <rect width="` + width + `" height="20" fill="url(#smooth)"/>` + "\n")
	b.WriteString("  </g>\n\n")
	b.WriteString(`  <g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">` + "\n")
	b.WriteString(`    <text x="` + tagX + `" y="15" fill="#010101" fill-opacity=".3">` + l + "</text>\n")
	b.WriteString(`    <text x="` + tagX + `" y="14">` + l + "</text>\n")
	b.WriteString(`    <text x="` + statusX + `" y="15" fill="#010101" fill-opacity=".3">` + st + "</text>\n")
	b.WriteString(`    <text x="` + statusX + `" y="14">` + st + "</text>\n")
	b.WriteString("  </g>\n</svg>\n")
	return b.String()
}
