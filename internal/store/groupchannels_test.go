package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/model"
	"github.com/overdue/overdue/internal/store/storetest"
)

// A group's members are looked up in its own project only.
func TestProjectChannelsByCode(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			u := mkUser(t, st, "alice@example.org")
			p := mkProject(t, st, u, "aaaaaaaa-0000-4000-8000-00000000000a")
			other := mkProject(t, st, u, "bbbbbbbb-0000-4000-8000-00000000000b")
			now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
			mk := func(code string, projectID int64) {
				ch := model.Channel{Code: code, ProjectID: projectID, Kind: "webhook", Value: "{}", Created: now}
				if err := st.CreateChannel(ctx, &ch); err != nil {
					t.Fatal(err)
				}
			}
			mk("cccccccc-0000-4000-8000-000000000001", p.ID)
			mk("cccccccc-0000-4000-8000-000000000002", p.ID)
			mk("cccccccc-0000-4000-8000-000000000003", other.ID)
			got, err := st.ProjectChannelsByCode(ctx, p.ID, []string{
				"cccccccc-0000-4000-8000-000000000002", "cccccccc-0000-4000-8000-000000000003",
				"cccccccc-0000-4000-8000-000000000001", "dddddddd-0000-4000-8000-000000000009", "' OR 1=1 --"})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].Code != "cccccccc-0000-4000-8000-000000000001" || got[1].Code != "cccccccc-0000-4000-8000-000000000002" {
				t.Errorf("got %+v, want the project's two channels, oldest first", got)
			}
			if got, err := st.ProjectChannelsByCode(ctx, p.ID, nil); err != nil || len(got) != 0 {
				t.Errorf("no codes: %v %v", got, err)
			}
		})
	}
}
