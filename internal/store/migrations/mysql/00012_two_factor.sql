-- Two-factor log-in and sudo mode. sessions.last_auth is when the session's
-- user last proved who they are (password, link, second factor or
-- re-authentication); sensitive pages want it recent. A TOTP secret is kept
-- as is (the server must compute codes from it) with the last time step
-- used, so that a code works once. auth_states hold short-lived ceremony
-- state (a pending second step, a WebAuthn challenge, a TOTP secret being
-- enrolled), keyed by kind and the hash of a cookie token.

-- +goose Up
ALTER TABLE sessions ADD COLUMN last_auth DATETIME(6) NULL;

CREATE TABLE totp_secrets (
    user_id   BIGINT       NOT NULL PRIMARY KEY,
    secret    VARCHAR(128) NOT NULL,
    last_step BIGINT       NOT NULL DEFAULT 0,
    created   DATETIME(6)  NOT NULL,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE webauthn_credentials (
    id      BIGINT AUTO_INCREMENT PRIMARY KEY,
    code    VARCHAR(36)  NOT NULL UNIQUE,
    user_id BIGINT       NOT NULL,
    name    VARCHAR(400) NOT NULL,
    data    MEDIUMTEXT   NOT NULL,
    created DATETIME(6)  NOT NULL,
    INDEX webauthn_credentials_user (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE auth_states (
    state_key VARCHAR(100) NOT NULL PRIMARY KEY,
    user_id   BIGINT       NOT NULL,
    data      MEDIUMTEXT   NOT NULL,
    expires   DATETIME(6)  NOT NULL,
    INDEX auth_states_expires (expires),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE auth_states;
DROP TABLE webauthn_credentials;
DROP TABLE totp_secrets;
ALTER TABLE sessions DROP COLUMN last_auth;
