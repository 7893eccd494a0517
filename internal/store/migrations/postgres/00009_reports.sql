-- Periodic reports (upstream's Profile.reports, next_report_date and tz).
-- reports is 'off', 'daily', 'weekly' or 'monthly'; tz is an IANA zone
-- name, used for the report's periods and its send time.
--
-- Existing users get upstream's default for a new profile: monthly
-- reports, with no date yet. The first sendreports pass only picks their
-- date (the next 1st of the month, 09:00-10:59 in their time zone) and
-- sends nothing, and accounts whose checks have not pinged for 180 days
-- are skipped, so nobody gets an email the moment they upgrade.

-- +goose Up
ALTER TABLE users ADD COLUMN reports VARCHAR(10) NOT NULL DEFAULT 'monthly';
ALTER TABLE users ADD COLUMN next_report_date TIMESTAMPTZ NULL;
ALTER TABLE users ADD COLUMN tz VARCHAR(36) NOT NULL DEFAULT 'UTC';
CREATE INDEX users_next_report_date ON users (next_report_date);

-- +goose Down
DROP INDEX users_next_report_date;
ALTER TABLE users DROP COLUMN tz;
ALTER TABLE users DROP COLUMN next_report_date;
ALTER TABLE users DROP COLUMN reports;
