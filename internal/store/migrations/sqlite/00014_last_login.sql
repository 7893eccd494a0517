-- users.last_login is when the user last logged in (upstream's
-- auth_user.last_login): retention deletes accounts that never did within
-- 30 days of signing up, as upstream's pruneusers. Existing users count as
-- logged in when they were created: nothing before this migration recorded
-- log-ins, so nobody who had an account before the upgrade is pruned.
--
-- users.upstream_username is the Django user name of an imported user:
-- report unsubscribe links sent by upstream sign it.

-- +goose Up
ALTER TABLE users ADD COLUMN last_login TEXT NULL;
UPDATE users SET last_login = created;
ALTER TABLE users ADD COLUMN upstream_username TEXT NULL;
CREATE UNIQUE INDEX users_upstream_username ON users (upstream_username);

-- +goose Down
DROP INDEX users_upstream_username;
ALTER TABLE users DROP COLUMN upstream_username;
ALTER TABLE users DROP COLUMN last_login;
