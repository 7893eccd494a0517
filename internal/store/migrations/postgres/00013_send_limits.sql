-- Monthly limits on the messages that cost the operator money (upstream's
-- Profile.sms_limit, sms_sent, last_sms_date for SMS and WhatsApp, and
-- call_limit, calls_sent, last_call_date for phone calls), kept on the user
-- who owns the project a channel belongs to. The count is that of the month
-- (UTC) of the last send; a send in a later month starts it again. 10000 is
-- upstream's limit for a new account when it does not take payments, which
-- Overdue never does.

-- +goose Up
ALTER TABLE users ADD COLUMN sms_limit INTEGER NOT NULL DEFAULT 10000;
ALTER TABLE users ADD COLUMN sms_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_sms_date TIMESTAMPTZ NULL;
ALTER TABLE users ADD COLUMN call_limit INTEGER NOT NULL DEFAULT 10000;
ALTER TABLE users ADD COLUMN calls_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_call_date TIMESTAMPTZ NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN last_call_date;
ALTER TABLE users DROP COLUMN calls_sent;
ALTER TABLE users DROP COLUMN call_limit;
ALTER TABLE users DROP COLUMN last_sms_date;
ALTER TABLE users DROP COLUMN sms_sent;
ALTER TABLE users DROP COLUMN sms_limit;
