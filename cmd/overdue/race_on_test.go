//go:build race

package main

// raceEnabled: the race detector makes this binary (and the pure-Go SQLite in
// it) 30-45× slower, so real-time bounds are only sanity checks under it;
// scripts/test.sh runs the real-time tests once more without -race.
const raceEnabled = true
