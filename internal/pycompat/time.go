package pycompat

import "time"

// ISOFormat is Python's datetime.isoformat() of t as an aware UTC datetime:
// "2026-11-24T12:00:00+00:00", with ".ffffff" only when there are
// microseconds (nanoseconds beyond them are dropped, as Python has none).
// Upstream's whole-second form is ISOFormat(t.Truncate(time.Second)).
func ISOFormat(t time.Time) string {
	return string(AppendISOFormat(make([]byte, 0, 32), t))
}

// AppendISOFormat appends ISOFormat(t).
func AppendISOFormat(b []byte, t time.Time) []byte {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		b = t.AppendFormat(b, "2006-01-02T15:04:05")
	} else {
		b = t.AppendFormat(b, "2006-01-02T15:04:05.000000")
	}
	return append(b, "+00:00"...)
}
