-- The page theme a user picked on the appearance page: light, dark, or
-- system (follow the browser's preference, which is also what visitors who
-- are not logged in get).

-- +goose Up
ALTER TABLE users ADD COLUMN theme VARCHAR(10) NOT NULL DEFAULT 'system';

-- +goose Down
ALTER TABLE users DROP COLUMN theme;
