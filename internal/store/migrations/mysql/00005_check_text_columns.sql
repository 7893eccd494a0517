-- The API stores tags of any length (upstream does not validate them) and, in
-- v1/v2, a slug made from the name, which NFKD can make up to five times
-- longer than the 100-character name. SQLite and PostgreSQL hold both in TEXT;
-- here VARCHAR(500) and VARCHAR(100) made such requests fail with "Data too
-- long". The slug stays a VARCHAR so that its index keeps working.

-- +goose Up
ALTER TABLE checks MODIFY tags MEDIUMTEXT NOT NULL, MODIFY slug VARCHAR(500) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE checks MODIFY tags VARCHAR(500) NOT NULL DEFAULT '', MODIFY slug VARCHAR(100) NOT NULL DEFAULT '';
