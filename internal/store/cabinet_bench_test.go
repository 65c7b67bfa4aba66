package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// BenchmarkCabinetQueries measures what one cabinet page costs in SQL on a 5 000-account
// center: finding an account for a proof, its meters with latest readings, and the resident's
// proven accounts.
func BenchmarkCabinetQueries(b *testing.B) {
	ctx := context.Background()
	db := testdb.New(b)
	if _, err := demo.Load(ctx, db, demo.Options{Accounts: 5000, Months: 3}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		b.Fatal(err)
	}
	hints, err := store.SampleAccounts(ctx, db, 1)
	if err != nil || len(hints) != 1 {
		b.Fatal(err)
	}
	h := hints[0]
	res, _, err := store.LoginESIA(ctx, db, store.ESIAPerson{OID: 1, LastName: "Б"})
	if err != nil {
		b.Fatal(err)
	}
	p, err := store.FindAccountForProof(ctx, db, h.Number, h.HouseID, h.Flat)
	if err != nil {
		b.Fatal(err)
	}
	if err := store.LinkAccount(ctx, db, res.ID, p.AccountID); err != nil {
		b.Fatal(err)
	}
	b.Run("FindAccountForProof", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.FindAccountForProof(ctx, db, h.Number, h.HouseID, h.Flat); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("AccountMeters", func(b *testing.B) {
		for b.Loop() {
			if m, err := store.AccountMeters(ctx, db, p.AccountID); err != nil || len(m) == 0 {
				b.Fatal(err)
			}
		}
	})
	b.Run("ResidentAccounts", func(b *testing.B) {
		for b.Loop() {
			if a, err := store.ResidentAccounts(ctx, db, res.ID); err != nil || len(a) != 1 {
				b.Fatal(err)
			}
		}
	})
}
