package store

// Audit of the compatibility spec §4.3/§8.1: upstream names its
// PostgreSQL connections (application_name "hc" for the web process,
// "sendalerts" for the alert sender).

import (
	"context"
	"os"
	"testing"
)

func TestSpecPostgresApplicationName(t *testing.T) {
	dsn := os.Getenv("OVERDUE_TEST_POSTGRES")
	if dsn == "" {
		t.Skip("OVERDUE_TEST_POSTGRES is not set")
	}
	ctx := context.Background()
	for _, c := range []struct{ dsn, app, want string }{
		{dsn, "sendalerts", "sendalerts"},
		{dsn, "", ""},
		{dsn + "&application_name=mine", "sendalerts", "mine"}, // the operator's DSN wins
	} {
		s, err := Open(ctx, Config{Engine: "postgres", DSN: c.dsn, AppName: c.app})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		err = s.r.QueryRowContext(ctx, "SELECT current_setting('application_name')").Scan(&got)
		s.Close()
		if err != nil || got != c.want {
			t.Errorf("AppName %q, DSN %q: application_name %q (%v), want %q", c.app, c.dsn, got, err, c.want)
		}
	}
}
