package store_test

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

func TestLoginStateIsSingleUseAndBoundToBrowser(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	st := uuid.New()
	if err := store.CreateLoginState(ctx, db, st, sum("browser A"), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := store.TakeLoginState(ctx, db, st, sum("browser B")); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another browser took the state: %v", err)
	}
	if _, err := store.TakeLoginState(ctx, db, st, sum("browser A")); err != nil {
		t.Errorf("own browser: %v", err)
	}
	if _, err := store.TakeLoginState(ctx, db, st, sum("browser A")); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("state used twice: %v", err)
	}
	old := uuid.New()
	if err := store.CreateLoginState(ctx, db, old, sum("browser A"), 0, -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := store.TakeLoginState(ctx, db, old, sum("browser A")); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("expired state accepted: %v", err)
	}
}

func TestResidentTokensAndLockout(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	id, err := store.CreateLocalResident(ctx, db, store.NewLocalResident{Email: "a@example.org", Phone: "+79000000000", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateLocalResident(ctx, db, store.NewLocalResident{Email: "A@example.org", PasswordHash: "h"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("same e-mail in another case: %v", err)
	}
	if err := store.CreateResidentToken(ctx, db, sum("t1"), id, store.TokenConfirmEmail, "", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.UseResidentToken(ctx, db, sum("t1"), store.TokenResetPassword); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("token used for another purpose: %v", err)
	}
	if got, _, err := store.UseResidentToken(ctx, db, sum("t1"), store.TokenConfirmEmail); err != nil || got != id {
		t.Errorf("use token: %d %v", got, err)
	}
	if _, _, err := store.UseResidentToken(ctx, db, sum("t1"), store.TokenConfirmEmail); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("token used twice: %v", err)
	}
}

func TestLinkedAccountsOnlyForTheirResident(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, db, demo.Options{Accounts: 3, Months: 1}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	hints, err := store.SampleAccounts(ctx, db, 3)
	if err != nil || len(hints) != 3 {
		t.Fatalf("hints: %v %v", hints, err)
	}
	a, _, err := store.LoginESIA(ctx, db, store.ESIAPerson{OID: 1, LastName: "А", SNILS: "112-233-445 95", Email: "x@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := store.LoginESIA(ctx, db, store.ESIAPerson{OID: 2, LastName: "Б", SNILS: "not a snils"})
	if err != nil || b.SNILS != "" {
		t.Fatalf("malformed SNILS: %+v %v", b, err)
	}
	var ids []int64
	for _, h := range hints {
		p, err := store.FindAccountForProof(ctx, db, h.Number, h.HouseID, h.Flat)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.AccountID)
		if err := store.LinkAccount(ctx, db, a.ID, p.AccountID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.FindAccountForProof(ctx, db, hints[0].Number, hints[0].HouseID, "9999"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("wrong flat found an account: %v", err)
	}
	list, _ := store.ResidentAccounts(ctx, db, a.ID)
	if len(list) != 3 || !list[0].IsMain || list[0].AccountID != ids[0] {
		t.Fatalf("accounts of a: %+v", list)
	}
	if got, _ := store.ResidentAccounts(ctx, db, b.ID); len(got) != 0 {
		t.Errorf("b sees %+v", got)
	}
	if bills, err := store.ResidentBills(ctx, db, a.ID, ids[0], 12); err != nil || len(bills) != 1 {
		t.Errorf("a's bills: %+v %v", bills, err)
	}
	if bills, _ := store.ResidentBills(ctx, db, b.ID, ids[0], 12); len(bills) != 0 {
		t.Errorf("b sees a's bills: %+v", bills)
	}
	if pays, _ := store.ResidentPayments(ctx, db, b.ID, ids[0], 12); len(pays) != 0 {
		t.Errorf("b sees a's payments: %+v", pays)
	}
	for _, f := range []func() error{
		func() error { _, err := store.ResidentAccount(ctx, db, b.ID, ids[1]); return err },
		func() error { return store.SetMainAccount(ctx, db, b.ID, ids[1]) },
		func() error { return store.SetPaperless(ctx, db, b.ID, ids[1], true) },
		func() error { return store.UnlinkAccount(ctx, db, b.ID, ids[1]) },
	} {
		if err := f(); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("b acted on a's account: %v", err)
		}
	}
	if err := store.SetMainAccount(ctx, db, a.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	if err := store.UnlinkAccount(ctx, db, a.ID, ids[2]); err != nil {
		t.Fatal(err)
	}
	list, _ = store.ResidentAccounts(ctx, db, a.ID)
	if len(list) != 2 || !list[0].IsMain {
		t.Errorf("after unlinking the main account: %+v", list)
	}
	// A second ESIA login refreshes the name but keeps what the resident set.
	if err := store.SetResidentPhone(ctx, db, a.ID, "+79001112233"); err != nil {
		t.Fatal(err)
	}
	again, created, err := store.LoginESIA(ctx, db, store.ESIAPerson{OID: 1, LastName: "Аа", Mobile: "+7(900)0000000"})
	if err != nil || created || again.ID != a.ID || again.LastName != "Аа" || again.Phone != "+79001112233" || again.SNILS != "112-233-445 95" {
		t.Errorf("second login: %+v created=%v %v", again, created, err)
	}
	if err := store.DeleteResident(ctx, db, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.ResidentAccounts(ctx, db, a.ID); len(got) != 0 {
		t.Errorf("links survived the resident: %+v", got)
	}
}
