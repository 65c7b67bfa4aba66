package jobs_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring/acquiringtest"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// TestAcquiringStatusClosesLostCallbacks: an order paid at the acquirer whose callbacks were lost
// stays registered until the status job, run after the wait, asks and applies the answer; a
// second run changes nothing.
func TestAcquiringStatusClosesLostCallbacks(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	logger := slog.New(slog.DiscardHandler)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 2, Months: 1}, logger); err != nil {
		t.Fatal(err)
	}
	acq := acquiringtest.Start(t, acquiringtest.Options{Faults: sim.Faults{Lose: true}})
	now := time.Now()
	svc := &onlinepay.Service{Pool: pool, Gateway: acq.Client, Logger: logger, Now: func() time.Time { return now }}
	var accountID int64
	if err := pool.QueryRow(ctx, `SELECT min(id) FROM accounts`).Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	o, err := store.CreateOrder(ctx, pool, nil, onlinepay.NewOrderNumber(), []store.OrderLine{{AccountID: accountID, Purpose: store.PurposeHousing, Amount: 12345}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Register(ctx, o, "http://cabinet/return", "http://cabinet/cb", "test"); err != nil {
		t.Fatal(err)
	}
	if err := acq.Sim.Pay(o.Number); err != nil {
		t.Fatal(err)
	}
	w := &jobs.AcquiringStatusWorker{Pay: svc, Now: func() time.Time { return now }}
	job := &river.Job[jobs.AcquiringStatusArgs]{}
	for _, tc := range []struct {
		at   time.Duration
		want model.OrderState
	}{
		{time.Minute, model.OrderRegistered},     // too early: the callback may still come
		{10 * time.Minute, model.OrderDeposited}, // lost: the status query applies the payment
		{20 * time.Minute, model.OrderDeposited}, // again: nothing changes
	} {
		w.Now = func() time.Time { return now.Add(tc.at) }
		if err := w.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		got, _ := store.OrderByNumber(ctx, pool, o.Number)
		if got.State != tc.want {
			t.Errorf("after %s: %s, want %s", tc.at, got.State, tc.want)
		}
	}
	if _, sum, _ := store.ProvisionalPayments(ctx, pool, accountID); sum != 12345 {
		t.Errorf("provisional payments %d, want 12345 once", sum)
	}
}
