package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/overdue/overdue/internal/model"
)

// RecordMemberSend keeps a group member's own outcome (model.MemberSend):
// its notification row, written already done (sent or failed, so that no
// claimer ever sends it again), and its channel's last send, in one
// transaction. A test keeps only the channel's part.
func (s *Store) RecordMemberSend(ctx context.Context, r model.MemberSend) error {
	what := fmt.Sprintf("record group member send on channel %d", r.ChannelID)
	return s.WithTx(ctx, func(tx *Tx) error {
		if r.CheckID != 0 {
			status := NotifySent
			if r.Error != "" {
				status = NotifyFailed
			}
			var flip any
			if r.FlipID != nil {
				flip = *r.FlipID
			}
			_, err := tx.Exec(ctx, "INSERT INTO notifications (code, check_id, channel_id, flip_id, check_status, created, status, attempts, next_try, error, duration_us) "+
				"VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
				strings.ToLower(r.Code), r.CheckID, r.ChannelID, flip, r.CheckStatus, s.ts(r.Started), status, s.ts(r.Started), r.Error, us(r.Duration))
			if err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
		}
		res, err := tx.Exec(ctx, "UPDATE channels SET last_notify = ?, last_notify_duration_us = ?, last_error = ?, disabled = (disabled OR ?) WHERE id = ?",
			s.ts(r.Started), us(r.Duration), r.Error, r.Permanent, r.ChannelID)
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return mustAffect(res, what)
	})
}
