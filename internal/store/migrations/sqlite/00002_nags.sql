-- Reminders while checks stay down (upstream's Profile.nag_period and
-- next_nag_date): 0 is off, otherwise the interval in microseconds.

-- +goose Up
ALTER TABLE users ADD COLUMN nag_period_us INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN next_nag_date TEXT NULL;

-- +goose Down
ALTER TABLE users DROP COLUMN next_nag_date;
ALTER TABLE users DROP COLUMN nag_period_us;
