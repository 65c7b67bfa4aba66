package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Purposes of one-time e-mail tokens.
const (
	TokenConfirmEmail  = "confirm_email"
	TokenResetPassword = "reset_password"
	TokenChangeEmail   = "change_email"
)

// CreateResidentToken stores a one-time token (by its hash) for purpose, valid for ttl.
// newEmail is set for TokenChangeEmail.
func CreateResidentToken(ctx context.Context, db DBTX, tokenHash []byte, residentID int64, purpose, newEmail string, ttl time.Duration) error {
	_, err := db.Exec(ctx, `
		INSERT INTO resident_tokens (token_hash, resident_id, purpose, new_email, expires_at)
		VALUES ($1, $2, $3, nullif($4, ''), now() + make_interval(secs => $5))`,
		tokenHash, residentID, purpose, newEmail, ttl.Seconds())
	if err != nil {
		return fmt.Errorf("create %s token: %w", purpose, err)
	}
	return nil
}

// UseResidentToken spends a live token of purpose and returns its resident and new e-mail.
// An unknown, expired or already used token is NotFound.
func UseResidentToken(ctx context.Context, db DBTX, tokenHash []byte, purpose string) (residentID int64, newEmail string, err error) {
	err = db.QueryRow(ctx, `
		UPDATE resident_tokens SET used_at = now()
		WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
		RETURNING resident_id, coalesce(new_email, '')`, tokenHash, purpose).Scan(&residentID, &newEmail)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, "", apperr.E(apperr.NotFound, "use "+purpose+" token", "ссылка недействительна или устарела")
	}
	if err != nil {
		return 0, "", fmt.Errorf("use %s token: %w", purpose, err)
	}
	return residentID, newEmail, nil
}

// CreateLoginState records an ESIA login in flight for the browser whose cookie hashes to
// browserHash. residentID is non-zero when a logged-in resident binds ESIA.
func CreateLoginState(ctx context.Context, db DBTX, state uuid.UUID, browserHash []byte, residentID int64, ttl time.Duration) error {
	var rid *int64
	if residentID != 0 {
		rid = &residentID
	}
	_, err := db.Exec(ctx, `
		INSERT INTO esia_login_states (state, browser_hash, resident_id, expires_at)
		VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, state, browserHash, rid, ttl.Seconds())
	if err != nil {
		return fmt.Errorf("record ESIA login state: %w", err)
	}
	return nil
}

// TakeLoginState deletes and returns the login state if it is live and belongs to the browser;
// a state is accepted at most once. Anything else is NotFound.
func TakeLoginState(ctx context.Context, db DBTX, state uuid.UUID, browserHash []byte) (residentID int64, err error) {
	var rid *int64
	err = db.QueryRow(ctx, `
		DELETE FROM esia_login_states WHERE state = $1 AND browser_hash = $2 AND expires_at > now()
		RETURNING resident_id`, state, browserHash).Scan(&rid)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, apperr.E(apperr.NotFound, "check ESIA state", "вход не был начат в этом браузере или уже завершён")
	}
	if err != nil {
		return 0, fmt.Errorf("check ESIA state: %w", err)
	}
	if rid != nil {
		return *rid, nil
	}
	return 0, nil
}

// DeleteExpiredLoginStates removes abandoned ESIA logins.
func DeleteExpiredLoginStates(ctx context.Context, db DBTX) error {
	if _, err := db.Exec(ctx, `DELETE FROM esia_login_states WHERE expires_at <= now()`); err != nil {
		return fmt.Errorf("delete expired ESIA login states: %w", err)
	}
	return nil
}

// HouseChoice is a house a resident can pick when proving an account.
type HouseChoice struct {
	ID      int64
	Address string
}

// Houses lists the houses served, by address.
func Houses(ctx context.Context, db DBTX) ([]HouseChoice, error) {
	rows, err := db.Query(ctx, `SELECT id, address FROM houses ORDER BY address, id`)
	if err != nil {
		return nil, fmt.Errorf("list houses: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[HouseChoice])
}

// AccountProof is what the settlement center knows to check a resident's claim on an account.
type AccountProof struct {
	AccountID int64
	PayerName string
	// LastTotal is the total due of the newest payment document, in kopecks; HasDocument is false
	// when none was issued yet.
	LastTotal   int64
	HasDocument bool
}

// FindAccountForProof finds an open account by number, house and flat. A miss is NotFound.
func FindAccountForProof(ctx context.Context, db DBTX, number string, houseID int64, flat string) (AccountProof, error) {
	var p AccountProof
	var total *int64
	err := db.QueryRow(ctx, `
		SELECT a.id, a.payer_name,
		       (SELECT d.total_due FROM payment_documents d WHERE d.account_id = a.id ORDER BY d.period DESC LIMIT 1)
		FROM accounts a JOIN premises p ON p.id = a.premises_id
		WHERE a.number = $1 AND p.house_id = $2 AND lower(p.number) = lower($3) AND a.closed_on IS NULL`,
		number, houseID, flat).Scan(&p.AccountID, &p.PayerName, &total)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, apperr.E(apperr.NotFound, "find account", "лицевой счёт не найден")
	}
	if err != nil {
		return p, fmt.Errorf("find account %q: %w", number, err)
	}
	if total != nil {
		p.LastTotal, p.HasDocument = *total, true
	}
	return p, nil
}

// LinkAccount records that the resident proved the account. The first account becomes the main
// one. Linking twice is harmless.
func LinkAccount(ctx context.Context, db DBTX, residentID, accountID int64) error {
	_, err := db.Exec(ctx, `
		INSERT INTO resident_accounts (resident_id, account_id, verified_at, is_main)
		VALUES ($1, $2, now(), NOT EXISTS (SELECT 1 FROM resident_accounts WHERE resident_id = $1 AND is_main))
		ON CONFLICT (resident_id, account_id) DO UPDATE SET verified_at = coalesce(resident_accounts.verified_at, now())`,
		residentID, accountID)
	if err != nil {
		return fmt.Errorf("link account %d to resident %d: %w", accountID, residentID, err)
	}
	return nil
}

// LinkedAccount is an account as its proven resident sees it.
type LinkedAccount struct {
	AccountID  int64
	Number     string
	Address    string
	Flat       string
	PayerName  string
	IsMain     bool
	Paperless  bool
	LinkedAt   time.Time
	LastPeriod *time.Time
	LastTotal  int64 // kopecks, of the newest payment document
}

// linkedAccountsSQL is the only way cabinet code reads accounts: through resident_accounts rows
// that were proven (verified_at set) for the asking resident.
const linkedAccountsSQL = `
	SELECT a.id, a.number, h.address, p.number, a.payer_name, ra.is_main, ra.paperless, ra.verified_at,
	       d.period, coalesce(d.total_due, 0)
	FROM resident_accounts ra
	JOIN accounts a ON a.id = ra.account_id
	JOIN premises p ON p.id = a.premises_id
	JOIN houses h ON h.id = p.house_id
	LEFT JOIN LATERAL (SELECT period, total_due FROM payment_documents WHERE account_id = a.id ORDER BY period DESC LIMIT 1) d ON true
	WHERE ra.resident_id = $1 AND ra.verified_at IS NOT NULL`

func scanLinked(row pgx.Row) (LinkedAccount, error) {
	var l LinkedAccount
	err := row.Scan(&l.AccountID, &l.Number, &l.Address, &l.Flat, &l.PayerName, &l.IsMain, &l.Paperless, &l.LinkedAt, &l.LastPeriod, &l.LastTotal)
	return l, err
}

// ResidentAccounts lists the resident's proven accounts, the main one first.
func ResidentAccounts(ctx context.Context, db DBTX, residentID int64) ([]LinkedAccount, error) {
	rows, err := db.Query(ctx, linkedAccountsSQL+` ORDER BY ra.is_main DESC, a.number`, residentID)
	if err != nil {
		return nil, fmt.Errorf("list accounts of resident %d: %w", residentID, err)
	}
	defer rows.Close()
	var out []LinkedAccount
	for rows.Next() {
		l, err := scanLinked(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts of resident %d: %w", residentID, err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ResidentAccount returns one account only if the resident linked and proved it; otherwise
// NotFound, the same answer as for an account that does not exist.
func ResidentAccount(ctx context.Context, db DBTX, residentID, accountID int64) (LinkedAccount, error) {
	l, err := scanLinked(db.QueryRow(ctx, linkedAccountsSQL+` AND a.id = $2`, residentID, accountID))
	if errors.Is(err, pgx.ErrNoRows) {
		return l, apperr.E(apperr.NotFound, "find account", "лицевой счёт не найден среди ваших")
	}
	if err != nil {
		return l, fmt.Errorf("find account %d of resident %d: %w", accountID, residentID, err)
	}
	return l, nil
}

// SetMainAccount makes one of the resident's proven accounts the main one.
func SetMainAccount(ctx context.Context, db DBTX, residentID, accountID int64) error {
	if _, err := ResidentAccount(ctx, db, residentID, accountID); err != nil {
		return err
	}
	if _, err := db.Exec(ctx, `UPDATE resident_accounts SET is_main = false WHERE resident_id = $1 AND is_main`, residentID); err != nil {
		return fmt.Errorf("set main account: %w", err)
	}
	if _, err := db.Exec(ctx, `UPDATE resident_accounts SET is_main = true WHERE resident_id = $1 AND account_id = $2`, residentID, accountID); err != nil {
		return fmt.Errorf("set main account: %w", err)
	}
	return nil
}

// SetPaperless switches paper receipts off (or back on) for a proven account.
func SetPaperless(ctx context.Context, db DBTX, residentID, accountID int64, paperless bool) error {
	tag, err := db.Exec(ctx, `UPDATE resident_accounts SET paperless = $3
		WHERE resident_id = $1 AND account_id = $2 AND verified_at IS NOT NULL`, residentID, accountID, paperless)
	if err != nil {
		return fmt.Errorf("set paperless: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "set paperless", "лицевой счёт не найден среди ваших")
	}
	return nil
}

// UnlinkAccount removes the link; if it was the main account, the next one becomes main.
func UnlinkAccount(ctx context.Context, db DBTX, residentID, accountID int64) error {
	tag, err := db.Exec(ctx, `DELETE FROM resident_accounts WHERE resident_id = $1 AND account_id = $2`, residentID, accountID)
	if err != nil {
		return fmt.Errorf("unlink account: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "unlink account", "лицевой счёт не найден среди ваших")
	}
	_, err = db.Exec(ctx, `
		UPDATE resident_accounts SET is_main = true
		WHERE resident_id = $1 AND account_id = (SELECT min(account_id) FROM resident_accounts WHERE resident_id = $1)
		  AND NOT EXISTS (SELECT 1 FROM resident_accounts WHERE resident_id = $1 AND is_main)`, residentID)
	if err != nil {
		return fmt.Errorf("unlink account: pick new main: %w", err)
	}
	return nil
}

// MeterReading is a meter of an account with its latest reading.
type MeterReading struct {
	MeterID     int64
	Number      string
	Resource    string
	Place       string
	LastValue   *model.Decimal
	LastTakenOn *time.Time
}

// sourceRank orders readings of one day by trust: what the resident sent
// wins over staff, bank, GIS and the initial value.
const sourceRank = `CASE source WHEN 'resident' THEN 0 WHEN 'staff' THEN 1 WHEN 'bank' THEN 2 WHEN 'gis' THEN 3 ELSE 4 END`

// AccountMeters lists the meters in an account's premises that belong to the account or to no
// account, with their latest readings. (Matching on premises first lets the meters' unique
// index on premises_id serve the query.)
// Callers reach it only with an account id they have proven (ResidentAccount) or checked by
// address and previous reading.
func AccountMeters(ctx context.Context, db DBTX, accountID int64) ([]MeterReading, error) {
	rows, err := db.Query(ctx, `
		SELECT m.id, m.number, m.resource, m.place, r.value::text, r.taken_on
		FROM meters m
		JOIN accounts a ON a.id = $1 AND m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		LEFT JOIN LATERAL (SELECT value, taken_on FROM readings WHERE meter_id = m.id AND flag = ''
			ORDER BY taken_on DESC, `+sourceRank+`, id DESC LIMIT 1) r ON true
		ORDER BY m.resource, m.number`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list meters of account %d: %w", accountID, err)
	}
	defer rows.Close()
	var out []MeterReading
	for rows.Next() {
		var m MeterReading
		var v *string
		if err := rows.Scan(&m.MeterID, &m.Number, &m.Resource, &m.Place, &v, &m.LastTakenOn); err != nil {
			return nil, fmt.Errorf("list meters of account %d: %w", accountID, err)
		}
		if v != nil {
			d, err := decimalFromText(*v)
			if err != nil {
				return nil, fmt.Errorf("meter %d reading %q: %w", m.MeterID, *v, err)
			}
			m.LastValue = &d
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// SaveResidentReading stores a resident's reading for today; a second one the same day replaces
// the first. The meter must belong to the account.
func SaveResidentReading(ctx context.Context, db DBTX, accountID, meterID int64, value model.Decimal) error {
	tag, err := db.Exec(ctx, `
		INSERT INTO readings (meter_id, taken_on, value, source)
		SELECT m.id, current_date, $3, 'resident'
		FROM meters m JOIN accounts a ON a.id = $1
		WHERE m.id = $2 AND m.premises_id = a.premises_id AND (m.account_id = a.id OR m.account_id IS NULL)
		ON CONFLICT (meter_id, taken_on, source) DO UPDATE SET value = EXCLUDED.value, created_at = now()`,
		accountID, meterID, numeric(value))
	if err != nil {
		return fmt.Errorf("save reading of meter %d: %w", meterID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "save reading", "счётчик не найден")
	}
	return nil
}

// CapturedMail is a letter kept by the capturing mailer.
type CapturedMail struct {
	ID        int64
	At        time.Time
	Recipient string
	Subject   string
	Body      string
}

// SaveCapturedMail keeps a letter instead of sending it.
func SaveCapturedMail(ctx context.Context, db DBTX, to, subject, body string) error {
	if _, err := db.Exec(ctx, `INSERT INTO captured_mail (recipient, subject, body) VALUES ($1, $2, $3)`, to, subject, body); err != nil {
		return fmt.Errorf("capture mail to %s: %w", to, err)
	}
	return nil
}

// RecentCapturedMail returns the newest captured letters, optionally only to one recipient.
func RecentCapturedMail(ctx context.Context, db DBTX, to string, limit int) ([]CapturedMail, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := db.Query(ctx, `
		SELECT id, at, recipient, subject, body FROM captured_mail
		WHERE $1 = '' OR lower(recipient) = lower($1) ORDER BY id DESC LIMIT $2`, strings.TrimSpace(to), limit)
	if err != nil {
		return nil, fmt.Errorf("read captured mail: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CapturedMail])
}

// decimalFromText reads PostgreSQL's numeric text form ("123.4500").
func decimalFromText(s string) (model.Decimal, error) {
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var d model.Decimal
	for _, c := range intPart + frac {
		if c < '0' || c > '9' || d.Units > (1<<62)/10 {
			return model.Decimal{}, fmt.Errorf("not a decimal: %q", s)
		}
		d.Units = d.Units*10 + int64(c-'0')
	}
	d.Scale = int32(len(frac))
	if neg {
		d.Units = -d.Units
	}
	return d, nil
}

// AccountHint is a demo account with everything needed to link it, shown on the demo's landing
// page so a newcomer can try the cabinet.
type AccountHint struct {
	Number    string
	HouseID   int64
	Address   string
	Flat      string
	Surname   string
	LastTotal int64 // kopecks
}

// SampleAccounts returns the first limit open accounts that have a payment document.
func SampleAccounts(ctx context.Context, db DBTX, limit int) ([]AccountHint, error) {
	rows, err := db.Query(ctx, `
		SELECT a.number, h.id, h.address, p.number, split_part(a.payer_name, ' ', 1), d.total_due
		FROM accounts a JOIN premises p ON p.id = a.premises_id JOIN houses h ON h.id = p.house_id
		JOIN LATERAL (SELECT total_due FROM payment_documents WHERE account_id = a.id ORDER BY period DESC LIMIT 1) d ON true
		WHERE a.closed_on IS NULL ORDER BY a.id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("sample accounts: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[AccountHint])
}

// BillLine is a payment document as a resident sees it.
type BillLine struct {
	Period   time.Time
	Number   string
	Charged  int64 // kopecks
	Paid     int64
	TotalDue int64
}

// PaymentLine is a payment as a resident sees it.
type PaymentLine struct {
	Date   time.Time
	Amount int64 // kopecks
	Source string
}

// ResidentBills returns the newest payment documents of an account the resident proved; for
// any other account the list is empty, whatever the caller passes.
func ResidentBills(ctx context.Context, db DBTX, residentID, accountID int64, limit int) ([]BillLine, error) {
	rows, err := db.Query(ctx, `
		SELECT d.period, d.number, d.charged, d.paid, d.total_due
		FROM payment_documents d
		JOIN resident_accounts ra ON ra.account_id = d.account_id AND ra.resident_id = $1 AND ra.verified_at IS NOT NULL
		WHERE d.account_id = $2 ORDER BY d.period DESC LIMIT $3`, residentID, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("bills of account %d: %w", accountID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[BillLine])
}

// ResidentPayments returns the newest payments to an account the resident proved.
func ResidentPayments(ctx context.Context, db DBTX, residentID, accountID int64, limit int) ([]PaymentLine, error) {
	rows, err := db.Query(ctx, `
		SELECT p.operation_date, p.amount, p.source
		FROM payments p
		JOIN resident_accounts ra ON ra.account_id = p.account_id AND ra.resident_id = $1 AND ra.verified_at IS NOT NULL
		WHERE p.account_id = $2 ORDER BY p.operation_date DESC, p.id DESC LIMIT $3`, residentID, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("payments of account %d: %w", accountID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[PaymentLine])
}
