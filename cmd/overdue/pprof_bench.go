//go:build benchpprof

package main

import (
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
)

// Built only with -tags benchpprof (bench/run.sh with PROFILE set): serves
// net/http/pprof on OVERDUE_BENCH_PPROF so the harness can profile the ping
// path under load. Release binaries carry none of this.
func init() {
	addr := os.Getenv("OVERDUE_BENCH_PPROF")
	if addr == "" {
		return
	}
	go func() { log.Print(http.ListenAndServe(addr, nil)) }()
}
