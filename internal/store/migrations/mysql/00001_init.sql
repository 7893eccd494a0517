-- Initial schema. Timestamps are DATETIME(6) holding UTC; durations are
-- integer microseconds. Tables use utf8mb4_bin so keys and slugs compare
-- exactly (the default _ci collation would merge "Foo" and "foo").
-- MySQL/MariaDB have no partial indexes, so those are plain indexes here.

-- +goose Up
CREATE TABLE users (
    id             BIGINT AUTO_INCREMENT PRIMARY KEY,
    email          VARCHAR(254) NOT NULL,
    email_key      VARCHAR(254) NOT NULL UNIQUE, -- lower(email): emails are unique case-insensitively
    password       VARCHAR(255) NOT NULL DEFAULT '',
    is_superuser   BOOLEAN NOT NULL DEFAULT FALSE,
    created        DATETIME(6) NOT NULL,
    ping_log_limit INTEGER NOT NULL DEFAULT 100,
    check_limit    INTEGER NOT NULL DEFAULT 500
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE projects (
    id               BIGINT AUTO_INCREMENT PRIMARY KEY,
    code             VARCHAR(36) NOT NULL UNIQUE,
    name             VARCHAR(255) NOT NULL DEFAULT '',
    owner_id         BIGINT NOT NULL,
    api_key          VARCHAR(128) NOT NULL DEFAULT '',
    api_key_readonly VARCHAR(128) NOT NULL DEFAULT '',
    ping_key         VARCHAR(64)    UNIQUE,
    show_slugs       BOOLEAN NOT NULL DEFAULT FALSE,
    badge_key        VARCHAR(36)    UNIQUE,
    created          DATETIME(6) NOT NULL,
    FOREIGN KEY (owner_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX projects_owner ON projects (owner_id);
CREATE INDEX projects_api_key ON projects (api_key);
CREATE INDEX projects_api_key_readonly ON projects (api_key_readonly);

CREATE TABLE checks (
    id                    BIGINT AUTO_INCREMENT PRIMARY KEY,
    code                  VARCHAR(36) NOT NULL UNIQUE,
    project_id            BIGINT NOT NULL,
    name                  VARCHAR(255) NOT NULL DEFAULT '',
    slug                  VARCHAR(100) NOT NULL DEFAULT '',
    tags                  VARCHAR(500) NOT NULL DEFAULT '',
    description           MEDIUMTEXT NOT NULL,
    created               DATETIME(6) NOT NULL,
    kind                  VARCHAR(20) NOT NULL DEFAULT 'simple',
    timeout_us            BIGINT NOT NULL,
    grace_us              BIGINT NOT NULL,
    schedule              VARCHAR(100) NOT NULL DEFAULT '* * * * *',
    tz                    VARCHAR(64) NOT NULL DEFAULT 'UTC',
    filter_subject        BOOLEAN NOT NULL DEFAULT FALSE,
    filter_body           BOOLEAN NOT NULL DEFAULT FALSE,
    filter_http_body      BOOLEAN NOT NULL DEFAULT FALSE,
    filter_default_fail   BOOLEAN NOT NULL DEFAULT FALSE,
    start_kw              VARCHAR(200) NOT NULL DEFAULT '',
    success_kw            VARCHAR(200) NOT NULL DEFAULT '',
    failure_kw            VARCHAR(200) NOT NULL DEFAULT '',
    methods               VARCHAR(30) NOT NULL DEFAULT '',
    manual_resume         BOOLEAN NOT NULL DEFAULT FALSE,
    badge_key             VARCHAR(36)    UNIQUE,
    status                VARCHAR(10) NOT NULL DEFAULT 'new',
    n_pings               BIGINT NOT NULL DEFAULT 0,
    last_ping             DATETIME(6),
    last_start            DATETIME(6),
    last_start_rid        VARCHAR(36),
    last_duration_us      BIGINT,
    has_confirmation_link BOOLEAN NOT NULL DEFAULT FALSE,
    alert_after           DATETIME(6),
    FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX checks_project_slug ON checks (project_id, slug);
-- The alert engine only scans checks that can still go down.
CREATE INDEX checks_alert_after ON checks (alert_after);

CREATE TABLE pings (
    id          BIGINT AUTO_INCREMENT PRIMARY KEY,
    check_id    BIGINT NOT NULL,
    n           BIGINT NOT NULL,
    created     DATETIME(6) NOT NULL,
    kind        VARCHAR(20) NOT NULL DEFAULT '',
    scheme      VARCHAR(10) NOT NULL DEFAULT 'http',
    remote_addr VARCHAR(64) NOT NULL DEFAULT '',
    method      VARCHAR(32) NOT NULL DEFAULT '',
    ua          VARCHAR(1024) NOT NULL DEFAULT '',
    body        LONGBLOB,
    rid         VARCHAR(36),
    exit_status INTEGER,
    FOREIGN KEY (check_id) REFERENCES checks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX pings_check_n ON pings (check_id, n);

CREATE TABLE flips (
    id         BIGINT AUTO_INCREMENT PRIMARY KEY,
    check_id   BIGINT NOT NULL,
    created    DATETIME(6) NOT NULL,
    old_status VARCHAR(10) NOT NULL,
    new_status VARCHAR(10) NOT NULL,
    reason     VARCHAR(10) NOT NULL DEFAULT '',
    processed  DATETIME(6),
    FOREIGN KEY (check_id) REFERENCES checks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX flips_check_created ON flips (check_id, created);
CREATE INDEX flips_processed ON flips (processed);

CREATE TABLE channels (
    id                      BIGINT AUTO_INCREMENT PRIMARY KEY,
    code                    VARCHAR(36) NOT NULL UNIQUE,
    project_id              BIGINT NOT NULL,
    name                    VARCHAR(255) NOT NULL DEFAULT '',
    kind                    VARCHAR(20) NOT NULL,
    value                   MEDIUMTEXT NOT NULL,
    created                 DATETIME(6) NOT NULL,
    email_verified          BOOLEAN NOT NULL DEFAULT FALSE,
    disabled                BOOLEAN NOT NULL DEFAULT FALSE,
    last_error              TEXT NOT NULL,
    last_notify             DATETIME(6),
    last_notify_duration_us BIGINT,
    FOREIGN KEY (project_id) REFERENCES projects (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX channels_project ON channels (project_id);

CREATE TABLE channel_checks (
    channel_id BIGINT NOT NULL,
    check_id   BIGINT NOT NULL,
    PRIMARY KEY (channel_id, check_id),
    FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE,
    FOREIGN KEY (check_id) REFERENCES checks (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX channel_checks_check ON channel_checks (check_id);

CREATE TABLE notifications (
    id           BIGINT AUTO_INCREMENT PRIMARY KEY,
    code         VARCHAR(36) NOT NULL UNIQUE,
    check_id     BIGINT NOT NULL,
    channel_id   BIGINT NOT NULL,
    flip_id      BIGINT,
    check_status VARCHAR(10) NOT NULL DEFAULT '',
    created      DATETIME(6) NOT NULL,
    status       VARCHAR(10) NOT NULL DEFAULT 'queued',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     DATETIME(6) NOT NULL,
    lease_until  DATETIME(6),
    error        TEXT NOT NULL,
    duration_us  BIGINT,
    FOREIGN KEY (check_id) REFERENCES checks (id) ON DELETE CASCADE,
    FOREIGN KEY (channel_id) REFERENCES channels (id) ON DELETE CASCADE,
    FOREIGN KEY (flip_id) REFERENCES flips (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
CREATE INDEX notifications_claim ON notifications (status, next_try);
CREATE INDEX notifications_check ON notifications (check_id);
CREATE INDEX notifications_channel ON notifications (channel_id);
CREATE INDEX notifications_flip ON notifications (flip_id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE channel_checks;
DROP TABLE channels;
DROP TABLE flips;
DROP TABLE pings;
DROP TABLE checks;
DROP TABLE projects;
DROP TABLE users;
