-- Web sessions (the cookie holds a random token, the table only its SHA-256)
-- one-time login links (hashed likewise) and project members (team access
-- with a role).

-- +goose Up
CREATE TABLE sessions (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created    TEXT    NOT NULL,
    expires    TEXT    NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);

CREATE TABLE login_tokens (
    token_hash TEXT    NOT NULL PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires    TEXT    NOT NULL
);
CREATE INDEX login_tokens_user ON login_tokens (user_id);

CREATE TABLE members (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL,
    created    TEXT    NOT NULL,
    UNIQUE (project_id, user_id)
);
CREATE INDEX members_user ON members (user_id);

-- +goose Down
DROP TABLE login_tokens;
DROP TABLE members;
DROP TABLE sessions;
