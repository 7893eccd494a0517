-- Accounts created by `overdue import`. A re-run may update these; an
-- account with the same email that is not listed here belongs to someone
-- who signed up in Overdue, and the import refuses to touch it.

-- +goose Up
CREATE TABLE imported_users (
    user_id  INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    imported TEXT    NOT NULL
);

-- +goose Down
DROP TABLE imported_users;
