package model

import "strings"

// ValidEmail is a deliberately loose syntax check of an email address: one
// @, something on both sides, at most 254 bytes, no spaces or control
// characters. Every place that takes an address (accounts, email channels)
// uses this one rule; deliverability is for the verification link to prove.
func ValidEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(s) > 254 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f {
			return false
		}
	}
	return true
}
