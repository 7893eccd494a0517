//go:build tools

package tools

import (
	_ "github.com/emersion/go-smtp"
	_ "github.com/go-sql-driver/mysql"
	_ "github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "github.com/pressly/goose/v3"
	_ "modernc.org/sqlite"
)
