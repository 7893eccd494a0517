// Package pycompat is the one home of the Python and Django behaviours that
// Overdue reproduces because upstream Healthchecks runs on them and clients
// can observe the difference: how json.dumps quotes a string, what
// str.strip() and str.split() count as whitespace, what int() accepts, how
// bytes.decode(errors="replace") and urllib's quote/unquote treat bytes.
//
// Each rule exists here once; the packages that need one call it rather
// than keeping a copy, so a correction (such as U+007F, which json.dumps
// escapes) reaches every caller. The package is pure: no I/O, no state.
// Expected values in its tests were printed by CPython 3.11.
package pycompat
