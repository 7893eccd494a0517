package main

import (
	"context"
	"fmt"
	"time"

	"github.com/overdue/overdue/internal/importer"
)

// cmdImport copies an upstream Healthchecks database into the configured
// one (see internal/importer): one transaction, so a failure writes
// nothing, and --dry-run rolls even a success back.
func cmdImport(ctx context.Context, args []string, e env) int {
	fs := newFlags("import", e)
	from := fs.String("from", "", "the upstream database: a SQLite file, or a postgres:// or mysql:// URL")
	dryRun := fs.Bool("dry-run", false, "print what would be imported and write nothing")
	if code, ok := fs.parse(args); !ok {
		return code
	}
	if *from == "" {
		fmt.Fprintln(e.stderr, "overdue import: --from is required")
		fs.printHelp(e.stderr)
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitError
	}
	src, err := importer.Open(ctx, *from)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue import: %s.\n", oneLine(err))
		return exitError
	}
	defer src.Close()
	ds, err := src.Read(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue import: %s.\n", oneLine(err))
		return exitError
	}
	st, ok := openStore(ctx, cfg, e)
	if !ok {
		return exitError
	}
	defer st.Close()
	sum, err := importer.Run(ctx, st, ds, *dryRun, time.Now())
	if err != nil {
		fmt.Fprintf(e.stderr, "overdue import: nothing was imported: %s.\n", oneLine(err))
		return exitError
	}
	fmt.Fprintf(e.stdout, "From %s (api migration %04d).\n", src.Where(), src.APIMigration)
	sum.Write(e.stdout)
	return exitOK
}
