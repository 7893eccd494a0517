package schedule

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/overdue/overdue/internal/model"
)

const previewUsage = `usage: overdue schedule preview [--kind cron|oncalendar] [--tz ZONE] [--after RFC3339] [-n N] [--] EXPR

Prints the next N fire times of the cron or OnCalendar expression EXPR, one
per line, in UTC (RFC 3339). Quote EXPR as one argument; put -- before it when
it starts with "-". A multi-line OnCalendar schedule is one argument too.

`

// RunPreviewCommand runs "overdue schedule preview"; args are the arguments
// after "preview", now is the default for --after. It returns the exit
// status: 0 on success, 2 on a usage error, 1 for an invalid expression or zone.
func RunPreviewCommand(args []string, now time.Time, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("overdue schedule preview", flag.ContinueOnError)
	// flag would echo unknown flag names verbatim; its error is reported
	// below, cleaned, instead.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {} // printed below, on stdout for -h and stderr otherwise
	kind := fs.String("kind", "", "schedule kind, cron or oncalendar (default: guessed like upstream's API)")
	tz := fs.String("tz", model.DefaultTZ, "time zone the schedule is evaluated in")
	afterFlag := fs.String("after", "", "start instant, RFC 3339 (default: now)")
	n := fs.Int("n", 5, fmt.Sprintf("number of fire times, 1-%d", MaxPreview))

	printUsage := func(w io.Writer) {
		var defaults strings.Builder
		fs.SetOutput(&defaults)
		fs.PrintDefaults()
		fmt.Fprint(w, previewUsage, defaults.String())
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "overdue schedule preview: "+format+"\n", a...)
		printUsage(stderr)
		return 2
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			// The user asked for the usage text; that is not a failure.
			printUsage(stdout)
			return 0
		}
		return usageError("%s", cleanLine(err.Error()))
	}
	switch fs.NArg() {
	case 0:
		return usageError("missing the schedule expression")
	case 1:
	default:
		return usageError("expected one expression argument, got %d (quote the expression)", fs.NArg())
	}
	switch *kind {
	case "", model.KindCron, model.KindOnCalendar:
	default:
		return usageError("--kind must be cron or oncalendar, not %s", sanitize(quoteShort(*kind)))
	}
	if *n < 1 || *n > MaxPreview {
		return usageError("-n must be between 1 and %d, not %d", MaxPreview, *n)
	}
	after := now
	if *afterFlag != "" {
		t, err := time.Parse(time.RFC3339, *afterFlag)
		if err != nil {
			return usageError("--after must be an RFC 3339 instant such as 2026-03-29T00:00:00Z, not %s", sanitize(quoteShort(*afterFlag)))
		}
		after = t
	}

	times, err := Preview(*kind, fs.Arg(0), *tz, after, *n)
	if err != nil {
		fmt.Fprintf(stderr, "overdue schedule preview: %s.\n", strings.TrimRight(cleanLine(err.Error()), "."))
		return 1
	}
	var b strings.Builder
	for _, t := range times {
		b.WriteString(t.UTC().Format(time.RFC3339))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(stdout, b.String()); err != nil {
		fmt.Fprintf(stderr, "overdue schedule preview: writing output: %v.\n", err)
		return 1
	}
	return 0
}

// sanitize escapes control and other non-printable characters, which may
// come from the user's expression through an engine's error message, so they
// can't garble the terminal.
func sanitize(s string) string {
	if strings.IndexFunc(s, notPrintable) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if notPrintable(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func notPrintable(r rune) bool { return !unicode.IsPrint(r) }

// cleanLine makes a one-line message of text that may echo hostile input:
// sanitized and cut to a length a terminal can take.
func cleanLine(s string) string {
	const limit = 200
	s = sanitize(s)
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "..."
	}
	return s
}
