package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/overdue/overdue/internal/model"
)

// ProjectChannelsByCode returns the channels of the project whose codes
// are listed, oldest first; codes of other projects' channels, and codes
// that name none, are left out. The group kind loads its members so.
func (s *Store) ProjectChannelsByCode(ctx context.Context, projectID int64, codes []string) ([]model.Channel, error) {
	if len(codes) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(codes)+1)
	args = append(args, projectID)
	for _, c := range codes {
		args = append(args, c)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(codes)), ", ")
	return s.queryChannels(ctx, fmt.Sprintf("%d channels of project %d", len(codes), projectID),
		"SELECT "+channelCols+" FROM channels WHERE project_id = ? AND code IN ("+marks+") ORDER BY id", args...)
}
