// Command bare is the baseline of the ping load test: a net/http server that
// answers every request with "OK" and does nothing else. The ratio of
// Overdue's rate to this one, measured in the same run, is what
// bench/RESULTS.md reports, because the machine is shared and noisy.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("listen", "127.0.0.1:8099", "address to listen on")
	flag.Parse()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "OK")
	})
	log.Fatal(http.ListenAndServe(*addr, h))
}
