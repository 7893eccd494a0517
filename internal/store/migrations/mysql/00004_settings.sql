-- Instance-wide settings that must be shared by every instance on one
-- database, such as the generated SECRET_KEY.

-- +goose Up
CREATE TABLE settings (
    name  VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- +goose Down
DROP TABLE settings;
