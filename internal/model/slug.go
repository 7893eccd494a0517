package model

// SlugAddress names a check the way /ping/<ping_key>/<slug> does: by its
// project's ping key and its slug. The ping writer verifies addresses of
// this kind that came from a cache (store.ApplyPingsClaimed).
type SlugAddress struct {
	PingKey string
	Slug    string
}
