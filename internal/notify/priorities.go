package notify

import (
	"net/url"
	"strconv"
	"strings"
)

// LaxURL cleans a URL field as upstream's LaxURLField(assume_scheme=
// "https") does before validating it: surrounding space stripped, and
// "https://" put before a URL typed without a scheme. "" stays "".
func LaxURL(raw string) string {
	v := strings.TrimSpace(raw)
	if v != "" && !hasScheme(v) {
		v = "https://" + v
	}
	return v
}

// FormPriorities reads the "priority" (for "down") and "priority_up"
// selects of the kinds that send with a priority (ntfy, Gotify): an absent
// or empty one is def, one that is not a whole number a FieldError with
// msg. The kind checks the range itself.
func FormPriorities(form url.Values, def int, msg string) (down, up int, err error) {
	out := [2]int{def, def}
	for i, name := range [2]string{"priority", "priority_up"} {
		s := form.Get(name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, &FieldError{Field: name, Msg: msg}
		}
		out[i] = n
	}
	return out[0], out[1], nil
}
