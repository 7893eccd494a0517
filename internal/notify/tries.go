package notify

// Tries is how many times to try m's request in a row: upstream's
// Attempts, or once for a test notification, which the user is waiting
// for on the page.
func Tries(m *Message) int {
	if m.Test {
		return 1
	}
	return Attempts
}
