package jobs

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindNotifyMail is the kind of NotifyMailArgs.
const KindNotifyMail = "notify_mail"

// notifyMailEvery is how often waiting e-mails are looked for.
const notifyMailEvery = time.Minute

// Delivery retries: the n-th failed attempt waits mailBackoff << (n-1), at most mailBackoffMax;
// after mailMaxAttempts the delivery is given up.
const (
	mailBackoff     = time.Minute
	mailBackoffMax  = 6 * time.Hour
	mailMaxAttempts = 10
	mailBatch       = 200
)

// NotifyMailArgs asks for the notifications' waiting e-mails to be sent (periodic, every minute).
type NotifyMailArgs struct{}

// Kind implements river.JobArgs.
func (NotifyMailArgs) Kind() string { return KindNotifyMail }

// InsertOpts puts the job on the notify queue, one at a time.
func (NotifyMailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, UniqueOpts: river.UniqueOpts{ByPeriod: notifyMailEvery}}
}

// NotifyMailWorker sends the e-mails of notifications the residents asked for. Each delivery is
// claimed and committed as 'sending' before its letter leaves, then recorded 'sent'; a refused
// send is recorded 'failed' with its next attempt after a growing backoff. A crash between the
// send and the record leaves it 'sending', never sent again: a letter is sent at most once.
type NotifyMailWorker struct {
	river.WorkerDefaults[NotifyMailArgs]
	Pool   *pgxpool.Pool
	Mailer mail.Mailer
	// Now is the clock; time.Now when nil (tests inject one).
	Now func() time.Time
}

// Work implements river.Worker. Failed deliveries are recorded, not returned: each has its own
// backoff, so the job itself succeeds unless the database fails.
func (w *NotifyMailWorker) Work(ctx context.Context, job *river.Job[NotifyMailArgs]) error {
	if w.Mailer == nil {
		return Edge(errors.New("notify mail: no mailer configured (check ZHKHGATE_SMTP_*)"))
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	for range mailBatch {
		d, ok, err := store.ClaimEmailDelivery(ctx, w.Pool, now())
		if err != nil || !ok {
			return Edge(err)
		}
		sendErr := w.Mailer.Send(ctx, mail.Message{To: d.Email, Subject: d.Subject, Body: d.Body + mailFooter})
		// The outcome is recorded even when ctx ended during the send.
		rctx := context.WithoutCancel(ctx)
		if sendErr == nil {
			err = store.RecordEmailSent(rctx, w.Pool, d.NotificationID, now())
		} else {
			wait := min(mailBackoff<<min(d.Attempts-1, 20), mailBackoffMax)
			err = store.RecordEmailFailed(rctx, w.Pool, d.NotificationID, sendErr.Error(), now().Add(wait), d.Attempts >= mailMaxAttempts)
		}
		if err != nil {
			return Edge(err)
		}
	}
	return nil
}

// mailFooter ends every notification letter.
const mailFooter = "\n\n—\nЭто письмо из личного кабинета жителя. Какие уведомления приходят на почту, выбирается на странице лицевого счёта."
