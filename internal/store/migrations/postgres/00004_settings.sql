-- Instance-wide settings that must be shared by every instance on one
-- database, such as the generated SECRET_KEY.

-- +goose Up
CREATE TABLE settings (
    name  VARCHAR(100) NOT NULL PRIMARY KEY,
    value TEXT         NOT NULL
);

-- +goose Down
DROP TABLE settings;
