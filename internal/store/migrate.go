package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrationsFS embed.FS

// lockName identifies Overdue's migration lock on a shared server.
const lockName = "overdue_migrate"

// Migrate brings the schema up to date. Several instances may call it at
// once against one PostgreSQL or MySQL database: a session lock lets one
// migrate while the others wait, then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", s.where, err)
	}
	return nil
}

// SchemaCurrent reports whether every embedded migration has been applied,
// for commands that must refuse to run on an old schema.
func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) {
	p, err := s.migrationProvider()
	if err != nil {
		return false, err
	}
	pending, err := p.HasPending(ctx)
	if err != nil {
		return false, fmt.Errorf("read schema version of %s: %w", s.where, err)
	}
	return !pending, nil
}

func (s *Store) migrationProvider() (*goose.Provider, error) {
	sub, err := fs.Sub(migrationsFS, "migrations/"+s.engine)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", s.engine, err)
	}
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	var gd goose.Dialect
	switch s.engine {
	case "sqlite":
		gd = goose.DialectSQLite3
	case "postgres":
		gd = goose.DialectPostgres
		l, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("postgres migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(l))
	case "mysql":
		gd = goose.DialectMySQL
		opts = append(opts, goose.WithSessionLocker(mysqlLocker{timeout: 5 * time.Minute}))
	}
	p, err := goose.NewProvider(gd, s.w, sub, opts...)
	if err != nil {
		return nil, fmt.Errorf("load migrations for %s: %w", s.engine, err)
	}
	return p, nil
}

// mysqlLocker serialises migrations with MySQL's GET_LOCK, which belongs to
// the connection goose holds for the whole run and vanishes if it dies.
type mysqlLocker struct{ timeout time.Duration }

func (l mysqlLocker) SessionLock(ctx context.Context, conn *sql.Conn) error {
	var got sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", lockName, int(l.timeout/time.Second)).Scan(&got)
	if err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	if !got.Valid || got.Int64 != 1 {
		return errors.New("take migration lock: timed out waiting for another instance to finish migrating")
	}
	return nil
}

func (l mysqlLocker) SessionUnlock(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "SELECT RELEASE_LOCK(?)", lockName); err != nil {
		return fmt.Errorf("release migration lock: %w", err)
	}
	return nil
}
