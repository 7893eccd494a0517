package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestSettings(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			if _, err := st.Setting(ctx, "secret_key"); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("missing setting: err = %v, want ErrNotFound", err)
			}
			// Concurrent first starts agree on one value.
			var wg sync.WaitGroup
			got := make([]string, 8)
			for i := range got {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					v, err := st.SettingOrInit(ctx, "secret_key", string(rune('a'+i)))
					if err != nil {
						t.Error(err)
					}
					got[i] = v
				}(i)
			}
			wg.Wait()
			for _, v := range got {
				if v != got[0] || v == "" {
					t.Fatalf("instances disagree on the setting: %q", got)
				}
			}
			if v, err := st.Setting(ctx, "secret_key"); err != nil || v != got[0] {
				t.Errorf("Setting = %q, %v; want %q", v, err, got[0])
			}
		})
	}
}
