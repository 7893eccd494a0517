-- Web sessions (the cookie holds a random token, the table only its SHA-256)
-- one-time login links (hashed likewise) and project members (team access
-- with a role).

-- +goose Up
CREATE TABLE sessions (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    created    DATETIME(6) NOT NULL,
    expires    DATETIME(6) NOT NULL,
    INDEX sessions_user (user_id),
    INDEX sessions_expires (expires),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE login_tokens (
    token_hash VARCHAR(64) NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    expires    DATETIME(6) NOT NULL,
    INDEX login_tokens_user (user_id),
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE members (
    id         BIGINT AUTO_INCREMENT PRIMARY KEY,
    project_id BIGINT      NOT NULL,
    user_id    BIGINT      NOT NULL,
    role       VARCHAR(1)  NOT NULL,
    created    DATETIME(6) NOT NULL,
    UNIQUE (project_id, user_id),
    INDEX members_user (user_id),
    FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- +goose Down
DROP TABLE login_tokens;
DROP TABLE members;
DROP TABLE sessions;
