package store_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestDocumentForPDFAndBalanceOn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	oct := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	sep := oct.AddDate(0, -1, 0)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 5, Months: 2, Seed: 11, Until: oct},
		slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	id, err := store.AccountIDByNumber(ctx, pool, demo.AccountNumber(2))
	if err != nil {
		t.Fatal(err)
	}
	d, err := store.DocumentForPDF(ctx, pool, id, oct)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for _, l := range d.Lines {
		sum += l.Total
	}
	h := d.Header
	if h.Payee.BIK != "045773603" || len(h.Payee.SettlementAccount) != 20 || len(h.Payee.CorrAccount) != 20 ||
		h.Payee.Address == "" || h.Address == "" || h.Area == "" {
		t.Errorf("header = %+v", h)
	}
	if len(d.Lines) != 9 || sum != d.Document.Charged {
		t.Errorf("%d lines totalling %d, document charged %d", len(d.Lines), sum, d.Document.Charged)
	}
	if len(d.Meters) != 3 {
		t.Errorf("%d meters, want the demo's 3", len(d.Meters))
	}
	for _, m := range d.Meters {
		if m.Previous == "" || m.Current == "" || m.PreviousOn == nil || !m.PreviousOn.Before(oct) ||
			m.CurrentOn == nil || m.CurrentOn.Before(oct) || m.Consumption == "" {
			t.Errorf("meter %+v: want a reading before October and one in it", m)
		}
	}

	// Balance on a day: nothing before the first document is issued; the September document from
	// 1 October; the October document from 1 November, less what is paid after it.
	var sepDue, octDue int64
	if err := pool.QueryRow(ctx, `SELECT
		(SELECT total_due FROM payment_documents WHERE account_id = $1 AND period = $2),
		(SELECT total_due FROM payment_documents WHERE account_id = $1 AND period = $3)`, id, sep, oct).Scan(&sepDue, &octDue); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO payments (source, operation_id, operation_date, account_id, amount)
		VALUES ('cashier', 'balance-on', '2026-11-15', $1, 1000)`, id); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		day  string
		want int64
	}{
		{"2026-09-30", 0},
		{"2026-10-31", sepDue - d.Document.Paid}, // October's payments settle the September document
		{"2026-11-14", octDue},
		{"2026-11-15", octDue - 1000},
	} {
		day, _ := time.Parse(time.DateOnly, tc.day)
		got, err := store.AccountBalanceOn(ctx, pool, id, day)
		if err != nil || got != tc.want {
			t.Errorf("balance on %s = %d, %v; want %d", tc.day, got, err, tc.want)
		}
	}

	if _, err := store.AccountIDByNumber(ctx, pool, "nope"); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO accounts (org_id, premises_id, number, opened_on)
		SELECT o.id, a.premises_id, a.number, a.opened_on FROM accounts a, organizations o
		WHERE a.id = $1 AND o.id <> a.org_id LIMIT 1`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := store.AccountIDByNumber(ctx, pool, demo.AccountNumber(2)); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("a number two organizations share: %v", err)
	}
}
