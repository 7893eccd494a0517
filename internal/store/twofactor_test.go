package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/overdue/overdue/internal/store"
	"github.com/overdue/overdue/internal/store/storetest"
)

func TestSecondFactorsAndAuthStates(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(engine, func(t *testing.T) {
			st := storetest.Open(t, engine)
			ctx := context.Background()
			alice := mkUser(t, st, "alice@example.org")
			bob := mkUser(t, st, "bob@example.org")
			now := time.Date(2026, 12, 7, 10, 0, 0, 123456789, time.UTC)

			// A session starts authenticated at its creation; re-auth moves it.
			if err := st.CreateSession(ctx, "s1", alice.ID, now, now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if at, err := st.SessionAuthTime(ctx, "s1"); err != nil || at == nil || !at.Equal(now.Truncate(time.Microsecond)) {
				t.Errorf("last auth: %v %v, want %v", at, err, now)
			}
			if err := st.MarkSessionAuth(ctx, "s1", now.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if at, _ := st.SessionAuthTime(ctx, "s1"); at == nil || !at.Equal(now.Add(time.Minute).Truncate(time.Microsecond)) {
				t.Errorf("after re-auth: %v", at)
			}
			if _, err := st.SessionAuthTime(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown session: %v", err)
			}

			// TOTP: one secret per user; steps are claimed once, in order.
			if err := st.SetTOTP(ctx, alice.ID, "JBSWY3DPEHPK3PXP", now); err != nil {
				t.Fatal(err)
			}
			if err := st.SetTOTP(ctx, alice.ID, "OTHER", now); !errors.Is(err, store.ErrDuplicate) {
				t.Errorf("second secret: %v, want ErrDuplicate", err)
			}
			if got, err := st.TOTPOf(ctx, alice.ID); err != nil || got.Secret != "JBSWY3DPEHPK3PXP" {
				t.Errorf("TOTPOf: %+v %v", got, err)
			}
			if _, err := st.TOTPOf(ctx, bob.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("bob's TOTP: %v", err)
			}
			for _, tc := range []struct {
				step int64
				ok   bool
			}{{100, true}, {100, false}, {99, false}, {101, true}} {
				if ok, err := st.UseTOTPStep(ctx, alice.ID, tc.step); err != nil || ok != tc.ok {
					t.Errorf("step %d: %v %v, want %v", tc.step, ok, err, tc.ok)
				}
			}
			// Racing requests with the same code: exactly one wins.
			var wins int
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					if ok, err := st.UseTOTPStep(ctx, alice.ID, 200); err == nil && ok {
						mu.Lock()
						wins++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if wins != 1 {
				t.Errorf("%d requests used the same step", wins)
			}

			// Security keys are per user; a code of someone else's is not found.
			k := store.WebAuthnCredential{Code: "00000000-0000-4000-8000-0000000000a1", UserID: alice.ID, Name: "Key ✓", Data: `{"id":"x"}`, Created: now}
			if err := st.AddWebAuthnCredential(ctx, &k); err != nil || k.ID == 0 {
				t.Fatalf("add key: %v", err)
			}
			if err := st.UpdateWebAuthnData(ctx, alice.ID, k.ID, `{"id":"y"}`); err != nil {
				t.Fatal(err)
			}
			if err := st.UpdateWebAuthnData(ctx, bob.ID, k.ID, `{"id":"bob"}`); err != nil {
				t.Fatal(err)
			}
			keys, err := st.WebAuthnCredentials(ctx, alice.ID)
			if err != nil || len(keys) != 1 || keys[0].Data != `{"id":"y"}` || keys[0].Name != "Key ✓" {
				t.Errorf("alice's keys: %+v %v", keys, err)
			}
			if err := st.DeleteWebAuthnCredential(ctx, bob.ID, k.Code); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("bob deletes alice's key: %v", err)
			}
			if n, err := st.DeleteSecondFactors(ctx, alice.ID); err != nil || n != 2 {
				t.Errorf("DeleteSecondFactors: %d %v, want 2", n, err)
			}
			if keys, _ := st.WebAuthnCredentials(ctx, alice.ID); len(keys) != 0 {
				t.Errorf("keys left: %d", len(keys))
			}

			// Auth states expire, are replaced by key and are taken once.
			if err := st.PutAuthState(ctx, "login:a", alice.ID, "one", now.Add(5*time.Minute), now); err != nil {
				t.Fatal(err)
			}
			if err := st.PutAuthState(ctx, "login:a", alice.ID, "two", now.Add(5*time.Minute), now); err != nil {
				t.Fatal(err)
			}
			if uid, data, err := st.AuthState(ctx, "login:a", now.Add(time.Minute)); err != nil || uid != alice.ID || data != "two" {
				t.Errorf("AuthState: %d %q %v", uid, data, err)
			}
			if _, _, err := st.AuthState(ctx, "login:a", now.Add(5*time.Minute)); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("expired state: %v", err)
			}
			if won, err := st.DeleteAuthState(ctx, "login:a"); err != nil || !won {
				t.Errorf("first delete: %v %v", won, err)
			}
			if won, _ := st.DeleteAuthState(ctx, "login:a"); won {
				t.Error("second delete also won")
			}
			// Expired states are swept by the next put.
			_ = st.PutAuthState(ctx, "old", bob.ID, "x", now.Add(time.Second), now)
			_ = st.PutAuthState(ctx, "new", bob.ID, "y", now.Add(time.Hour), now.Add(time.Minute))
			if won, _ := st.DeleteAuthState(ctx, "old"); won {
				t.Error("an expired state was not swept")
			}
		})
	}
}
