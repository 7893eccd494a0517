-- Initial schema. Timestamps are UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (fixed
-- width, so text order is time order); durations are integer microseconds.

-- +goose Up
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    email          TEXT    NOT NULL,
    email_key      TEXT    NOT NULL UNIQUE, -- lower(email): emails are unique case-insensitively
    password       TEXT    NOT NULL DEFAULT '',
    is_superuser   INTEGER NOT NULL DEFAULT 0,
    created        TEXT    NOT NULL,
    ping_log_limit INTEGER NOT NULL DEFAULT 100,
    check_limit    INTEGER NOT NULL DEFAULT 500
);

CREATE TABLE projects (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    code             TEXT    NOT NULL UNIQUE,
    name             TEXT    NOT NULL DEFAULT '',
    owner_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    api_key          TEXT    NOT NULL DEFAULT '',
    api_key_readonly TEXT    NOT NULL DEFAULT '',
    ping_key         TEXT    UNIQUE,
    show_slugs       INTEGER NOT NULL DEFAULT 0,
    badge_key        TEXT    UNIQUE,
    created          TEXT    NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_id);
CREATE INDEX projects_api_key ON projects (api_key);
CREATE INDEX projects_api_key_readonly ON projects (api_key_readonly);

CREATE TABLE checks (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    code                  TEXT    NOT NULL UNIQUE,
    project_id            INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL DEFAULT '',
    slug                  TEXT    NOT NULL DEFAULT '',
    tags                  TEXT    NOT NULL DEFAULT '',
    description           TEXT    NOT NULL DEFAULT '',
    created               TEXT    NOT NULL,
    kind                  TEXT    NOT NULL DEFAULT 'simple',
    timeout_us            INTEGER NOT NULL,
    grace_us              INTEGER NOT NULL,
    schedule              TEXT    NOT NULL DEFAULT '* * * * *',
    tz                    TEXT    NOT NULL DEFAULT 'UTC',
    filter_subject        INTEGER NOT NULL DEFAULT 0,
    filter_body           INTEGER NOT NULL DEFAULT 0,
    filter_http_body      INTEGER NOT NULL DEFAULT 0,
    filter_default_fail   INTEGER NOT NULL DEFAULT 0,
    start_kw              TEXT    NOT NULL DEFAULT '',
    success_kw            TEXT    NOT NULL DEFAULT '',
    failure_kw            TEXT    NOT NULL DEFAULT '',
    methods               TEXT    NOT NULL DEFAULT '',
    manual_resume         INTEGER NOT NULL DEFAULT 0,
    badge_key             TEXT    UNIQUE,
    status                TEXT    NOT NULL DEFAULT 'new',
    n_pings               INTEGER NOT NULL DEFAULT 0,
    last_ping             TEXT,
    last_start            TEXT,
    last_start_rid        TEXT,
    last_duration_us      INTEGER,
    has_confirmation_link INTEGER NOT NULL DEFAULT 0,
    alert_after           TEXT
);
CREATE INDEX checks_project_slug ON checks (project_id, slug);
-- The alert engine only scans checks that can still go down.
CREATE INDEX checks_alert_after ON checks (alert_after) WHERE status <> 'down';

-- No AUTOINCREMENT: pings are the hot insert path and ids need not be unique forever.
CREATE TABLE pings (
    id          INTEGER PRIMARY KEY,
    check_id    INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    n           INTEGER NOT NULL,
    created     TEXT    NOT NULL,
    kind        TEXT    NOT NULL DEFAULT '',
    scheme      TEXT    NOT NULL DEFAULT 'http',
    remote_addr TEXT    NOT NULL DEFAULT '',
    method      TEXT    NOT NULL DEFAULT '',
    ua          TEXT    NOT NULL DEFAULT '',
    body        BLOB,
    rid         TEXT,
    exit_status INTEGER
);
CREATE INDEX pings_check_n ON pings (check_id, n);

CREATE TABLE flips (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    check_id   INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    created    TEXT    NOT NULL,
    old_status TEXT    NOT NULL,
    new_status TEXT    NOT NULL,
    reason     TEXT    NOT NULL DEFAULT '',
    processed  TEXT
);
CREATE INDEX flips_check_created ON flips (check_id, created);
CREATE INDEX flips_unprocessed ON flips (id) WHERE processed IS NULL;

CREATE TABLE channels (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    code                    TEXT    NOT NULL UNIQUE,
    project_id              INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                    TEXT    NOT NULL DEFAULT '',
    kind                    TEXT    NOT NULL,
    value                   TEXT    NOT NULL DEFAULT '',
    created                 TEXT    NOT NULL,
    email_verified          INTEGER NOT NULL DEFAULT 0,
    disabled                INTEGER NOT NULL DEFAULT 0,
    last_error              TEXT    NOT NULL DEFAULT '',
    last_notify             TEXT,
    last_notify_duration_us INTEGER
);
CREATE INDEX channels_project ON channels (project_id);

CREATE TABLE channel_checks (
    channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    check_id   INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    PRIMARY KEY (channel_id, check_id)
);
CREATE INDEX channel_checks_check ON channel_checks (check_id);

CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    code         TEXT    NOT NULL UNIQUE,
    check_id     INTEGER NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
    channel_id   INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    flip_id      INTEGER REFERENCES flips (id) ON DELETE SET NULL,
    check_status TEXT    NOT NULL DEFAULT '',
    created      TEXT    NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'queued',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     TEXT    NOT NULL,
    lease_until  TEXT,
    error        TEXT    NOT NULL DEFAULT '',
    duration_us  INTEGER
);
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
