package web

// NaturalCompareForTest exposes the dashboard's name order to the tests.
var NaturalCompareForTest = naturalCompare

// OAuthState exposes the state of a kind's OAuth round-trip to the tests.
var OAuthState = oauthState
