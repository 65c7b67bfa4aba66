package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// NotificationKind is what a notification is about.
type NotificationKind string

// The kinds of notification. Every kind but NotifyMessage (older rows) may be sent by e-mail
// when the resident asked for it on the account.
const (
	NotifyPayment       NotificationKind = "payment"        // a payment was credited
	NotifyDocument      NotificationKind = "document"       // a payment document was issued
	NotifyReadingWindow NotificationKind = "reading_window" // the month's window for meter readings opened
	NotifyDueSoon       NotificationKind = "due_soon"       // a bill is due in 3 days and unpaid
	NotifyVerification  NotificationKind = "verification"   // a meter's verification is due
	NotifyRequest       NotificationKind = "request"        // a request changed state or was answered
	NotifyBroadcast     NotificationKind = "broadcast"      // staff posted a message
	NotifyMessage       NotificationKind = "message"        // older rows without a kind
)

// EmailKinds are the kinds a resident may take by e-mail, in the order the settings show them.
var EmailKinds = []NotificationKind{NotifyRequest, NotifyPayment, NotifyDocument, NotifyDueSoon,
	NotifyReadingWindow, NotifyVerification, NotifyBroadcast}

// Valid tells whether k is one of the e-mail kinds.
func (k NotificationKind) Valid() bool {
	for _, e := range EmailKinds {
		if e == k {
			return true
		}
	}
	return false
}

// insertNotifications wraps a SELECT of (resident_id, account_id, kind, subject, body, dedup_key,
// request_id) into one statement that writes the notifications — skipping any whose resident,
// kind and dedup key already exist, so reruns add nothing — and queues an e-mail for each one
// whose resident asked for its kind on its account. It returns the count written.
func insertNotifications(ctx context.Context, db DBTX, op, selectSQL string, args ...any) (int, error) {
	var n int
	err := db.QueryRow(ctx, `
		WITH n AS (
			INSERT INTO notifications (resident_id, account_id, kind, subject, body, dedup_key, request_id, channel)
			SELECT s.*, 'cabinet' FROM (`+selectSQL+`) s
			ON CONFLICT (resident_id, kind, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING
			RETURNING id, resident_id, account_id, kind),
		e AS (
			INSERT INTO notification_emails (notification_id, email)
			SELECT n.id, r.email FROM n
			JOIN residents r ON r.id = n.resident_id
			JOIN notification_settings ns ON ns.resident_id = n.resident_id AND ns.account_id = n.account_id AND ns.kind = n.kind
			WHERE ns.email AND r.email IS NOT NULL AND r.email <> '')
		SELECT count(*) FROM n`, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, nil
}

// Notification is one message to a resident.
type Notification struct {
	ID        int64
	Kind      NotificationKind
	Subject   string
	Body      string
	AccountID *int64
	RequestID *int64
	CreatedAt time.Time
	ReadAt    *time.Time
}

// ResidentNotifications lists the resident's newest notifications.
func ResidentNotifications(ctx context.Context, db DBTX, residentID int64, limit int) ([]Notification, error) {
	rows, err := db.Query(ctx, `
		SELECT id, kind, subject, body, account_id, request_id, created_at, read_at
		FROM notifications WHERE resident_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, residentID, limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications of resident %d: %w", residentID, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Notification])
	if err != nil {
		return nil, fmt.Errorf("list notifications of resident %d: %w", residentID, err)
	}
	return out, nil
}

// UnreadNotifications counts the resident's unread notifications (the cabinet's badge).
func UnreadNotifications(ctx context.Context, db DBTX, residentID int64) (int, error) {
	var n int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE resident_id = $1 AND read_at IS NULL`,
		residentID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count unread notifications of resident %d: %w", residentID, err)
	}
	return n, nil
}

// MarkNotificationRead marks one of the resident's notifications read; another resident's is
// NotFound, like one that does not exist.
func MarkNotificationRead(ctx context.Context, db DBTX, residentID, id int64, now time.Time) error {
	tag, err := db.Exec(ctx, `UPDATE notifications SET read_at = coalesce(read_at, $3) WHERE id = $1 AND resident_id = $2`,
		id, residentID, now)
	if err != nil {
		return fmt.Errorf("mark notification %d read: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "mark notification read", "уведомление не найдено")
	}
	return nil
}

// MarkAllNotificationsRead marks every notification of the resident read.
func MarkAllNotificationsRead(ctx context.Context, db DBTX, residentID int64, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE notifications SET read_at = $2 WHERE resident_id = $1 AND read_at IS NULL`,
		residentID, now); err != nil {
		return fmt.Errorf("mark notifications of resident %d read: %w", residentID, err)
	}
	return nil
}

// NotificationSettings returns the kinds the resident takes by e-mail for one proven account;
// an account not among the resident's is NotFound.
func NotificationSettings(ctx context.Context, db DBTX, residentID, accountID int64) (map[NotificationKind]bool, error) {
	if _, err := ResidentAccount(ctx, db, residentID, accountID); err != nil {
		return nil, err
	}
	rows, err := db.Query(ctx, `SELECT kind FROM notification_settings WHERE resident_id = $1 AND account_id = $2 AND email`,
		residentID, accountID)
	if err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	kinds, err := pgx.CollectRows(rows, pgx.RowTo[NotificationKind])
	if err != nil {
		return nil, fmt.Errorf("notification settings: %w", err)
	}
	out := map[NotificationKind]bool{}
	for _, k := range kinds {
		out[k] = true
	}
	return out, nil
}

// SetNotificationSettings replaces the kinds the resident takes by e-mail for one proven account.
func SetNotificationSettings(ctx context.Context, db DBTX, residentID, accountID int64, email []NotificationKind) error {
	if _, err := ResidentAccount(ctx, db, residentID, accountID); err != nil {
		return err
	}
	kinds := make([]string, 0, len(email))
	for _, k := range email {
		if !k.Valid() {
			return apperr.Invalidf("notification settings", "неизвестный вид уведомлений %q", string(k))
		}
		kinds = append(kinds, string(k))
	}
	if _, err := db.Exec(ctx, `
		WITH del AS (DELETE FROM notification_settings WHERE resident_id = $1 AND account_id = $2)
		INSERT INTO notification_settings (resident_id, account_id, kind, email)
		SELECT $1, $2, k, true FROM unnest($3::text[]) k
		ON CONFLICT (resident_id, account_id, kind) DO UPDATE SET email = true`, residentID, accountID, kinds); err != nil {
		return fmt.Errorf("set notification settings: %w", err)
	}
	return nil
}

// BroadcastScope is whom staff address.
type BroadcastScope string

// Broadcast scopes.
const (
	ScopeHouse BroadcastScope = "house"
	ScopeOrg   BroadcastScope = "org"
	ScopeAll   BroadcastScope = "all"
)

// Broadcast is a message staff post to the residents of a house, of an organization, or to all.
type Broadcast struct {
	ID         int64
	StaffID    int64
	StaffLogin string
	Scope      BroadcastScope
	HouseID    *int64
	OrgID      *int64
	Target     string // the house's address or the organization's name
	Subject    string
	Body       string
	Recipients int
	CreatedAt  time.Time
}

// PostBroadcast stores b and writes one notification to every resident with a proven account in
// its scope (on the lowest such account, whose e-mail settings apply). It returns the id and the
// count of residents notified.
func PostBroadcast(ctx context.Context, db DBTX, b Broadcast) (int64, int, error) {
	switch {
	case b.Scope == ScopeHouse && b.HouseID != nil, b.Scope == ScopeOrg && b.OrgID != nil, b.Scope == ScopeAll:
	default:
		return 0, 0, apperr.Invalidf("post broadcast", "scope %q needs its house or organization", b.Scope)
	}
	if b.Scope != ScopeHouse {
		b.HouseID = nil
	}
	if b.Scope != ScopeOrg {
		b.OrgID = nil
	}
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO notification_broadcasts (staff_id, scope, house_id, org_id, subject, body)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, b.StaffID, b.Scope, b.HouseID, b.OrgID, b.Subject, b.Body).Scan(&id)
	if err != nil {
		if isForeignKeyViolation(err) {
			return 0, 0, apperr.E(apperr.NotFound, "post broadcast", "дом или организация не найдены")
		}
		return 0, 0, fmt.Errorf("post broadcast: %w", err)
	}
	n, err := insertNotifications(ctx, db, "post broadcast", `
		SELECT ra.resident_id, min(a.id), 'broadcast', $2::text, $3::text, 'broadcast:' || $1::bigint, NULL::bigint
		FROM notification_broadcasts b
		JOIN accounts a ON b.scope = 'all' OR a.org_id = b.org_id
		    OR a.premises_id IN (SELECT p.id FROM premises p WHERE p.house_id = b.house_id)
		JOIN resident_accounts ra ON ra.account_id = a.id AND ra.verified_at IS NOT NULL
		WHERE b.id = $1
		GROUP BY ra.resident_id`, id, b.Subject, b.Body)
	if err != nil {
		return 0, 0, err
	}
	if _, err := db.Exec(ctx, `UPDATE notification_broadcasts SET recipients = $2 WHERE id = $1`, id, n); err != nil {
		return 0, 0, fmt.Errorf("post broadcast: %w", err)
	}
	return id, n, nil
}

// RecentBroadcasts lists the newest broadcasts.
func RecentBroadcasts(ctx context.Context, db DBTX, limit int) ([]Broadcast, error) {
	rows, err := db.Query(ctx, `
		SELECT b.id, b.staff_id, s.login, b.scope, b.house_id, b.org_id, coalesce(h.address, o.name, ''),
		       b.subject, b.body, b.recipients, b.created_at
		FROM notification_broadcasts b
		JOIN staff_users s ON s.id = b.staff_id
		LEFT JOIN houses h ON h.id = b.house_id
		LEFT JOIN organizations o ON o.id = b.org_id
		ORDER BY b.id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[Broadcast])
	if err != nil {
		return nil, fmt.Errorf("list broadcasts: %w", err)
	}
	return out, nil
}

// The automatic notifications written by the periodic notify_due job. Each is keyed so that a
// run on the same day (or a rerun) writes nothing new: per document, per account and month, per
// meter and verification date.

// DueNotices writes the time-based notifications as of now: documents issued in the last 40
// days, the reading window when today is in it, bills due within 3 days and unpaid, and meter
// verifications due within 30 days. It returns the count written by kind.
func DueNotices(ctx context.Context, db DBTX, now time.Time) (map[NotificationKind]int, error) {
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	out := map[NotificationKind]int{}
	var err error
	// Issued: any document past its draft, of the last 40 days (a newly linked resident is not
	// told of old bills).
	if out[NotifyDocument], err = insertNotifications(ctx, db, "notify issued documents", `
		SELECT ra.resident_id, d.account_id, 'document', 'Выставлена квитанция',
		       format('Квитанция за %s по лицевому счёту %s: к оплате %s ₽.', to_char(d.period, 'MM.YYYY'), a.number,
		              replace(to_char(d.total_due / 100.0, 'FM999999999990.00'), '.', ',')),
		       'document:' || d.id, NULL::bigint
		FROM payment_documents d
		JOIN accounts a ON a.id = d.account_id
		JOIN resident_accounts ra ON ra.account_id = d.account_id AND ra.verified_at IS NOT NULL
		WHERE d.state IN ('ready', 'sent', 'posted') AND d.created_at > $1::timestamptz - interval '40 days'
		  AND d.created_at <= $1::timestamptz`, now); err != nil {
		return out, err
	}
	// The reading window is each organization's own (organizations.reading_window_from/to).
	if out[NotifyReadingWindow], err = insertNotifications(ctx, db, "notify reading window", `
		SELECT ra.resident_id, ra.account_id, 'reading_window', 'Пора передать показания',
		       format('С %s по %s можно передать показания счётчиков по лицевому счёту %s.',
		              to_char(make_date($1, $2, o.reading_window_from), 'DD.MM'),
		              to_char(make_date($1, $2, least(o.reading_window_to,
		                  extract(day FROM (make_date($1, $2, 1) + interval '1 month - 1 day'))::int)), 'DD.MM'), a.number),
		       format('reading:%s:%s', ra.account_id, to_char(make_date($1, $2, 1), 'YYYY-MM')), NULL::bigint
		FROM resident_accounts ra
		JOIN accounts a ON a.id = ra.account_id
		JOIN organizations o ON o.id = a.org_id
		WHERE ra.verified_at IS NOT NULL AND $3 BETWEEN o.reading_window_from AND o.reading_window_to
		  AND EXISTS (SELECT 1 FROM meters m WHERE m.account_id = ra.account_id)`,
		today.Year(), int(today.Month()), today.Day()); err != nil {
		return out, err
	}
	// Due: the 10th of the month after the period, the 15th for periods from February 2026 on
	// (internal/penalty's rules.json); told within 3 days before it while the account owes.
	if out[NotifyDueSoon], err = insertNotifications(ctx, db, "notify due bills", `
		SELECT ra.resident_id, d.account_id, 'due_soon', 'Скоро срок оплаты',
		       format('Квитанцию за %s по лицевому счёту %s нужно оплатить до %s: к оплате %s ₽.',
		              to_char(d.period, 'MM.YYYY'), a.number, to_char(due.on_date, 'DD.MM.YYYY'),
		              replace(to_char(coalesce(ab.balance, d.total_due) / 100.0, 'FM999999999990.00'), '.', ',')),
		       'due:' || d.id, NULL::bigint
		FROM payment_documents d
		CROSS JOIN LATERAL (SELECT (d.period + interval '1 month')::date
		    + CASE WHEN d.period >= date '2026-02-01' THEN 14 ELSE 9 END AS on_date) due
		JOIN accounts a ON a.id = d.account_id
		JOIN resident_accounts ra ON ra.account_id = d.account_id AND ra.verified_at IS NOT NULL
		LEFT JOIN account_balances ab ON ab.account_id = d.account_id
		WHERE d.state IN ('ready', 'sent', 'posted')
		  AND due.on_date BETWEEN $1::date AND $1::date + 3
		  AND coalesce(ab.balance, d.total_due) > 0
		  AND d.period = (SELECT max(period) FROM payment_documents x WHERE x.account_id = d.account_id)`, today); err != nil {
		return out, err
	}
	if out[NotifyVerification], err = insertNotifications(ctx, db, "notify meter verification", `
		SELECT ra.resident_id, m.account_id, 'verification', 'Скоро поверка счётчика',
		       format('Срок поверки счётчика № %s по лицевому счёту %s — %s.', m.number, a.number,
		              to_char(m.next_verification_on, 'DD.MM.YYYY')),
		       format('verification:%s:%s', m.id, m.next_verification_on), NULL::bigint
		FROM meters m
		JOIN accounts a ON a.id = m.account_id
		JOIN resident_accounts ra ON ra.account_id = m.account_id AND ra.verified_at IS NOT NULL
		WHERE m.next_verification_on BETWEEN $1::date AND $1::date + 30`, today); err != nil {
		return out, err
	}
	return out, nil
}

// isForeignKeyViolation tells whether err is PostgreSQL's foreign_key_violation (23503).
func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503"
}

// EmailDelivery is a claimed e-mail of a notification.
type EmailDelivery struct {
	NotificationID int64
	Email          string
	Subject        string
	Body           string
	Attempts       int
}

// ClaimEmailDelivery takes the oldest due delivery and marks it 'sending' (the caller commits
// this before sending, so a crash mid-send never sends it again). ok is false when none is due.
func ClaimEmailDelivery(ctx context.Context, db DBTX, now time.Time) (d EmailDelivery, ok bool, err error) {
	err = db.QueryRow(ctx, `
		UPDATE notification_emails e SET state = 'sending', attempts = e.attempts + 1
		FROM notifications n
		WHERE n.id = e.notification_id AND e.notification_id = (
			SELECT notification_id FROM notification_emails
			WHERE state IN ('pending', 'failed') AND next_attempt_at <= $1
			ORDER BY next_attempt_at, notification_id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING e.notification_id, e.email, n.subject, n.body, e.attempts`, now).
		Scan(&d.NotificationID, &d.Email, &d.Subject, &d.Body, &d.Attempts)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("claim e-mail delivery: %w", err)
	}
	return d, true, nil
}

// RecordEmailSent records a delivered letter.
func RecordEmailSent(ctx context.Context, db DBTX, notificationID int64, now time.Time) error {
	if _, err := db.Exec(ctx, `
		UPDATE notification_emails SET state = 'sent', sent_at = $2, last_error = '' WHERE notification_id = $1`,
		notificationID, now); err != nil {
		return fmt.Errorf("record e-mail of notification %d sent: %w", notificationID, err)
	}
	if _, err := db.Exec(ctx, `UPDATE notifications SET sent_at = $2 WHERE id = $1`, notificationID, now); err != nil {
		return fmt.Errorf("record e-mail of notification %d sent: %w", notificationID, err)
	}
	return nil
}

// RecordEmailFailed records a refused send: tried again at next, or given up when giveUp.
func RecordEmailFailed(ctx context.Context, db DBTX, notificationID int64, reason string, next time.Time, giveUp bool) error {
	state := "failed"
	if giveUp {
		state = "given_up"
	}
	if _, err := db.Exec(ctx, `
		UPDATE notification_emails SET state = $2, last_error = $3, next_attempt_at = $4 WHERE notification_id = $1`,
		notificationID, state, cleanText(reason), next); err != nil {
		return fmt.Errorf("record e-mail of notification %d failed: %w", notificationID, err)
	}
	return nil
}

// EmailDeliveryState is a delivery as tests and the console see it.
type EmailDeliveryState struct {
	State    string
	Attempts int
	NextAt   time.Time
	Error    string
}

// EmailDeliveryOf returns the delivery of a notification; NotFound when none was queued.
func EmailDeliveryOf(ctx context.Context, db DBTX, notificationID int64) (EmailDeliveryState, error) {
	var d EmailDeliveryState
	err := db.QueryRow(ctx, `SELECT state, attempts, next_attempt_at, last_error FROM notification_emails WHERE notification_id = $1`,
		notificationID).Scan(&d.State, &d.Attempts, &d.NextAt, &d.Error)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, apperr.E(apperr.NotFound, "e-mail delivery", "no e-mail was queued for this notification")
	}
	if err != nil {
		return d, fmt.Errorf("e-mail delivery of notification %d: %w", notificationID, err)
	}
	return d, nil
}
