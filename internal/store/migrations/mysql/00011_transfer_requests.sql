-- A pending ownership transfer (upstream's Member.transfer_request_date):
-- the owner offers the project to one member, who accepts or rejects it.

-- +goose Up
ALTER TABLE members ADD COLUMN transfer_request DATETIME(6) NULL;

-- +goose Down
ALTER TABLE members DROP COLUMN transfer_request;
