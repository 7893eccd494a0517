-- A pending ownership transfer (upstream's Member.transfer_request_date):
-- the owner offers the project to one member, who accepts or rejects it.

-- +goose Up
ALTER TABLE members ADD COLUMN transfer_request TIMESTAMPTZ;

-- +goose Down
ALTER TABLE members DROP COLUMN transfer_request;
