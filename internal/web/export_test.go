package web

// OAuthState exposes the state of a kind's OAuth round-trip to the tests.
var OAuthState = oauthState
