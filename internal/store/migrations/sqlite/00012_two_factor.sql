-- Two-factor log-in and sudo mode. sessions.last_auth is when the session's
-- user last proved who they are (password, link, second factor or
-- re-authentication); sensitive pages want it recent. A TOTP secret is kept
-- as is (the server must compute codes from it) with the last time step
-- used, so that a code works once. auth_states hold short-lived ceremony
-- state (a pending second step, a WebAuthn challenge, a TOTP secret being
-- enrolled), keyed by kind and the hash of a cookie token.

-- +goose Up
ALTER TABLE sessions ADD COLUMN last_auth TEXT;

CREATE TABLE totp_secrets (
    user_id   INTEGER NOT NULL PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret    TEXT    NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0,
    created   TEXT    NOT NULL
);

CREATE TABLE webauthn_credentials (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    code    TEXT    NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name    TEXT    NOT NULL,
    data    TEXT    NOT NULL,
    created TEXT    NOT NULL
);
CREATE INDEX webauthn_credentials_user ON webauthn_credentials (user_id);

CREATE TABLE auth_states (
    state_key TEXT    NOT NULL PRIMARY KEY,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data      TEXT    NOT NULL,
    expires   TEXT    NOT NULL
);
CREATE INDEX auth_states_expires ON auth_states (expires);

-- +goose Down
DROP TABLE auth_states;
DROP TABLE webauthn_credentials;
DROP TABLE totp_secrets;
ALTER TABLE sessions DROP COLUMN last_auth;
