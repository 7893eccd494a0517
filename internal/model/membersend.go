package model

import "time"

// MemberSend is the outcome of one member's send when a group channel
// fans out, kept on the member as upstream's Channel.notify keeps it: a
// notification row of its own (so that the member's page lists it and
// Twilio's status callback finds it) and the member's last_notify,
// last_error and, on a permanent error, disabled.
type MemberSend struct {
	ChannelID int64
	// CheckID is the check reported; 0 for a test notification, which
	// keeps only the channel's outcome, as a test of the member itself.
	CheckID int64
	// FlipID is the flip reported, when it still exists.
	FlipID *int64
	// Code is the member's notification UUID, the one its message carried.
	Code        string
	CheckStatus string
	Started     time.Time
	Duration    time.Duration
	// Error is "" on success.
	Error     string
	Permanent bool
}
