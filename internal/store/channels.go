package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/overdue/overdue/internal/model"
)

const channelCols = "id, code, project_id, name, kind, value, created, email_verified, disabled, last_error, last_notify, last_notify_duration_us"

// CreateChannel inserts ch and sets its ID (and Created, when zero).
func (s *Store) CreateChannel(ctx context.Context, ch *model.Channel) error {
	return s.createChannel(ctx, s.w, ch)
}

// CreateChannelForAllChecks inserts ch and links it to every check of its
// project, in one transaction, as upstream's "Add integration" pages do: a
// channel is never left behind unlinked.
func (s *Store) CreateChannelForAllChecks(ctx context.Context, ch *model.Channel) error {
	err := s.WithTx(ctx, func(tx *Tx) error {
		if err := s.createChannel(ctx, tx.tx, ch); err != nil {
			return err
		}
		return s.linkChannelToAllChecks(ctx, tx.tx, ch.ID)
	})
	if err != nil {
		ch.ID = 0
	}
	return err
}

func (s *Store) createChannel(ctx context.Context, q queryer, ch *model.Channel) error {
	if ch.Created.IsZero() {
		ch.Created = time.Now()
	}
	ch.Created = ch.Created.UTC().Truncate(time.Microsecond)
	ch.Code = strings.ToLower(ch.Code)
	id, err := s.insert(ctx, q, "INSERT INTO channels (code, project_id, name, kind, value, created, email_verified, disabled, last_error, last_notify, last_notify_duration_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		ch.Code, ch.ProjectID, ch.Name, ch.Kind, ch.Value, s.ts(ch.Created), ch.EmailVerified, ch.Disabled, ch.LastError,
		s.tsPtr(ch.LastNotify), usPtr(ch.LastNotifyDuration))
	if err != nil {
		if isDuplicate(err) {
			return fmt.Errorf("create channel %q: %w", ch.Code, ErrDuplicate)
		}
		return fmt.Errorf("create channel %q: %w", ch.Code, err)
	}
	ch.ID = id
	return nil
}

func (s *Store) queryChannels(ctx context.Context, what, query string, args ...any) ([]model.Channel, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []model.Channel
	for rows.Next() {
		var ch model.Channel
		err := rows.Scan(&ch.ID, &ch.Code, &ch.ProjectID, &ch.Name, &ch.Kind, &ch.Value, timeScan{&ch.Created}, &ch.EmailVerified,
			&ch.Disabled, &ch.LastError, nullTimeScan{&ch.LastNotify}, nullDurScan{&ch.LastNotifyDuration})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// ListChannels returns the project's channels, oldest first.
func (s *Store) ListChannels(ctx context.Context, projectID int64) ([]model.Channel, error) {
	return s.queryChannels(ctx, fmt.Sprintf("channels of project %d", projectID),
		"SELECT "+channelCols+" FROM channels WHERE project_id = ? ORDER BY id", projectID)
}

// ChannelsForCheck returns the channels linked to a check, oldest first.
func (s *Store) ChannelsForCheck(ctx context.Context, checkID int64) ([]model.Channel, error) {
	cols := "ch." + strings.ReplaceAll(channelCols, ", ", ", ch.")
	return s.queryChannels(ctx, fmt.Sprintf("channels of check %d", checkID),
		"SELECT "+cols+" FROM channels ch JOIN channel_checks cc ON cc.channel_id = ch.id WHERE cc.check_id = ? ORDER BY ch.id", checkID)
}

// SetCheckChannels replaces the channels linked to a check with channelIDs.
// Channels of other projects are ignored.
func (s *Store) SetCheckChannels(ctx context.Context, checkID int64, channelIDs []int64) error {
	return s.replaceLinks(ctx, fmt.Sprintf("set channels of check %d", checkID), "check_id", checkID, channelIDs,
		func(id int64) (int64, int64) { return id, checkID })
}

// replaceLinks deletes the channel_checks rows whose column is key and
// links each of others instead (pair gives the channel and check ids),
// skipping pairs from different projects.
func (s *Store) replaceLinks(ctx context.Context, what, column string, key int64, others []int64, pair func(other int64) (channelID, checkID int64)) error {
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM channel_checks WHERE "+column+" = ?", key); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		q := s.d.insertIgnore("INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ? AND c.id = ?")
		for _, id := range others {
			chID, checkID := pair(id)
			if _, err := tx.Exec(ctx, q, chID, checkID); err != nil {
				return fmt.Errorf("%s: link %d: %w", what, id, err)
			}
		}
		return nil
	})
}

// DisableChannel marks a channel disabled: the outbox stops enqueueing for
// it, as upstream does after a permanent delivery error.
func (s *Store) DisableChannel(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE channels SET disabled = ? WHERE id = ?"), true, id)
	if err != nil {
		return fmt.Errorf("disable channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("disable channel %d", id))
}

// ChannelByCode finds a channel by its UUID.
func (s *Store) ChannelByCode(ctx context.Context, code string) (model.Channel, error) {
	chs, err := s.queryChannels(ctx, fmt.Sprintf("channel %q", code), "SELECT "+channelCols+" FROM channels WHERE code = ?", strings.ToLower(code))
	if err != nil {
		return model.Channel{}, err
	}
	if len(chs) == 0 {
		return model.Channel{}, fmt.Errorf("channel %q: %w", code, ErrNotFound)
	}
	return chs[0], nil
}

// SetEmailVerified marks an email channel's address as confirmed.
func (s *Store) SetEmailVerified(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE channels SET email_verified = ? WHERE id = ?"), true, id)
	if err != nil {
		return fmt.Errorf("verify channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("verify channel %d", id))
}

// LinkChannelToAllChecks links a channel to every check of its project, as
// upstream does for an integration added in the web UI.
func (s *Store) LinkChannelToAllChecks(ctx context.Context, channelID int64) error {
	return s.linkChannelToAllChecks(ctx, s.w, channelID)
}

func (s *Store) linkChannelToAllChecks(ctx context.Context, db queryer, channelID int64) error {
	q := s.d.insertIgnore("INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ?")
	if _, err := db.ExecContext(ctx, s.d.rebind(q), channelID); err != nil {
		return fmt.Errorf("link channel %d to all checks: %w", channelID, err)
	}
	return nil
}

// RenameChannel sets a channel's name.
func (s *Store) RenameChannel(ctx context.Context, id int64, name string) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE channels SET name = ? WHERE id = ?"), name, id)
	if err != nil {
		return fmt.Errorf("rename channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("rename channel %d", id))
}

// UpdateChannel saves an edited channel's name, value and email
// verification.
func (s *Store) UpdateChannel(ctx context.Context, ch *model.Channel) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE channels SET name = ?, value = ?, email_verified = ? WHERE id = ?"),
		ch.Name, ch.Value, ch.EmailVerified, ch.ID)
	if err != nil {
		return fmt.Errorf("update channel %d: %w", ch.ID, err)
	}
	return mustAffect(res, fmt.Sprintf("update channel %d", ch.ID))
}

// DeleteChannel removes a channel; its check links and notifications go
// with it (ON DELETE CASCADE).
func (s *Store) DeleteChannel(ctx context.Context, id int64) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("DELETE FROM channels WHERE id = ?"), id)
	if err != nil {
		return fmt.Errorf("delete channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("delete channel %d", id))
}

// ChannelCheckCounts is how many checks each channel of a project is
// linked to; channels with none are absent.
func (s *Store) ChannelCheckCounts(ctx context.Context, projectID int64) (map[int64]int, error) {
	return s.countsByID(ctx, fmt.Sprintf("count checks of the channels of project %d", projectID),
		"SELECT cc.channel_id, COUNT(*) FROM channel_checks cc JOIN channels ch ON ch.id = cc.channel_id WHERE ch.project_id = ? GROUP BY cc.channel_id", projectID)
}

// ChannelCheckIDs are the ids of the checks linked to a channel.
func (s *Store) ChannelCheckIDs(ctx context.Context, channelID int64) ([]int64, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind("SELECT check_id FROM channel_checks WHERE channel_id = ? ORDER BY check_id"), channelID)
	if err != nil {
		return nil, fmt.Errorf("checks of channel %d: %w", channelID, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("checks of channel %d: %w", channelID, err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetChannelChecks replaces the checks linked to a channel with checkIDs.
// Checks of other projects are ignored, as SetCheckChannels ignores
// channels of other projects.
func (s *Store) SetChannelChecks(ctx context.Context, channelID int64, checkIDs []int64) error {
	return s.replaceLinks(ctx, fmt.Sprintf("set checks of channel %d", channelID), "channel_id", channelID, checkIDs,
		func(id int64) (int64, int64) { return channelID, id })
}

// RecordChannelTest keeps a test notification's outcome on the channel,
// as a real send's is kept: when it ran, how long it took, its error, and
// disabled on a permanent error (upstream's Channel.notify with is_test).
func (s *Store) RecordChannelTest(ctx context.Context, id int64, started time.Time, took time.Duration, errText string, disable bool) error {
	res, err := s.w.ExecContext(ctx, s.d.rebind("UPDATE channels SET last_notify = ?, last_notify_duration_us = ?, last_error = ?, disabled = (disabled OR ?) WHERE id = ?"),
		s.ts(started), us(took), errText, disable, id)
	if err != nil {
		return fmt.Errorf("record test of channel %d: %w", id, err)
	}
	return mustAffect(res, fmt.Sprintf("record test of channel %d", id))
}
