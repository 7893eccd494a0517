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
	return s.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM channel_checks WHERE check_id = ?", checkID); err != nil {
			return fmt.Errorf("set channels of check %d: %w", checkID, err)
		}
		for _, id := range channelIDs {
			q := s.d.insertIgnore("INSERT INTO channel_checks (channel_id, check_id) SELECT ch.id, c.id FROM channels ch JOIN checks c ON c.project_id = ch.project_id WHERE ch.id = ? AND c.id = ?")
			if _, err := tx.Exec(ctx, q, id, checkID); err != nil {
				return fmt.Errorf("set channels of check %d: link channel %d: %w", checkID, id, err)
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
