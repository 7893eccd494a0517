// Command overdue is the whole service in one binary: the web and ping
// server, the alert engine, and the maintenance commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/overdue/overdue/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{
		getenv: config.FromOS(),
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
	})
	stop()
	os.Exit(code)
}
