package jobs_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// flaky fails its first n sends, then passes letters to next.
type flaky struct {
	n    int
	next mail.Mailer
}

func (f *flaky) Send(ctx context.Context, m mail.Message) error {
	if f.n > 0 {
		f.n--
		return errors.New("421 try later")
	}
	return f.next.Send(ctx, m)
}

func job[T river.JobArgs](args T) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1}, Args: args}
}

// TestNotifyDueAndMail runs the periodic notify_due job on an injected clock — twice on the same
// day, which adds nothing — and the notify_mail job with a mailer that first refuses: the letter
// waits for its backoff, is then sent once, and a later run sends nothing more.
func TestNotifyDueAndMail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testdb.New(t)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 3, Months: 1}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	res, err := store.CreateLocalResident(ctx, pool, store.NewLocalResident{Email: "ivan@example.org", PasswordHash: "h"})
	if err != nil {
		t.Fatal(err)
	}
	var acc int64
	if err := pool.QueryRow(ctx, `SELECT min(a.id) FROM accounts a JOIN meters m ON m.account_id = a.id`).Scan(&acc); err != nil {
		t.Fatal(err)
	}
	if err := store.LinkAccount(ctx, pool, res, acc); err != nil {
		t.Fatal(err)
	}
	if err := store.SetNotificationSettings(ctx, pool, res, acc, []store.NotificationKind{store.NotifyReadingWindow}); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2030, 3, 16, 9, 0, 0, 0, time.UTC)
	due := &jobs.NotifyDueWorker{Pool: pool, Now: func() time.Time { return clock }}
	count := func(sql string) int {
		t.Helper()
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for range 2 {
		if err := due.Work(ctx, job(jobs.NotifyDueArgs{})); err != nil {
			t.Fatal(err)
		}
	}
	if n := count(`SELECT count(*) FROM notifications WHERE kind = 'reading_window'`); n != 1 {
		t.Fatalf("reading window notifications after two runs on one day = %d, want 1", n)
	}
	clock = clock.Add(24 * time.Hour)
	if err := due.Work(ctx, job(jobs.NotifyDueArgs{})); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT count(*) FROM notifications WHERE kind = 'reading_window'`); n != 1 {
		t.Fatalf("the next day of the same window wrote another: %d", n)
	}

	mailer := &flaky{n: 1, next: &mail.Capture{DB: pool}}
	send := &jobs.NotifyMailWorker{Pool: pool, Mailer: mailer, Now: func() time.Time { return clock }}
	if err := send.Work(ctx, job(jobs.NotifyMailArgs{})); err != nil {
		t.Fatal(err)
	}
	var id int64
	pool.QueryRow(ctx, `SELECT id FROM notifications WHERE kind = 'reading_window'`).Scan(&id)
	d, err := store.EmailDeliveryOf(ctx, pool, id)
	if err != nil || d.State != "failed" || d.Attempts != 1 || !d.NextAt.Equal(clock.Add(time.Minute)) || d.Error != "421 try later" {
		t.Fatalf("after a refused send: %+v, %v", d, err)
	}
	// Before the backoff ends nothing is tried.
	if err := send.Work(ctx, job(jobs.NotifyMailArgs{})); err != nil {
		t.Fatal(err)
	}
	if d, _ := store.EmailDeliveryOf(ctx, pool, id); d.Attempts != 1 {
		t.Errorf("tried again before the backoff: %+v", d)
	}
	clock = clock.Add(time.Minute)
	for range 3 {
		if err := send.Work(ctx, job(jobs.NotifyMailArgs{})); err != nil {
			t.Fatal(err)
		}
	}
	if d, _ := store.EmailDeliveryOf(ctx, pool, id); d.State != "sent" || d.Attempts != 2 {
		t.Errorf("after the backoff: %+v", d)
	}
	if n := count(`SELECT count(*) FROM captured_mail WHERE recipient = 'ivan@example.org' AND subject = 'Пора передать показания'`); n != 1 {
		t.Errorf("letters sent = %d, want exactly 1", n)
	}
	// A crash after the claim leaves the delivery 'sending': it is never sent again.
	if _, err := pool.Exec(ctx, `UPDATE notification_emails SET state = 'sending' WHERE notification_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	send.Work(ctx, job(jobs.NotifyMailArgs{}))
	if n := count(`SELECT count(*) FROM captured_mail`); n != 1 {
		t.Errorf("a delivery in flight was sent again: %d letters", n)
	}
	// Without a mailer the job says so.
	if err := (&jobs.NotifyMailWorker{Pool: pool}).Work(ctx, job(jobs.NotifyMailArgs{})); err == nil {
		t.Error("no mailer, no error")
	}
}
