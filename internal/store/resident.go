package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Resident is a cabinet user, known by ESIA oid, by confirmed e-mail and password, or both.
type Resident struct {
	ID               int64
	ESIAOID          int64 // zero when ESIA is not bound
	LastName         string
	FirstName        string
	MiddleName       string
	SNILS            string
	Email            string
	Phone            string
	PasswordHash     string
	EmailConfirmedAt *time.Time
	ConsentAt        *time.Time
	FailedLogins     int
	LockedUntil      *time.Time
	CreatedAt        time.Time
}

// FullName is "Last First Middle", or the e-mail when no name is known.
func (r Resident) FullName() string {
	n := joinNonEmpty(r.LastName, r.FirstName, r.MiddleName)
	if n == "" {
		return r.Email
	}
	return n
}

func joinNonEmpty(parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += " "
		}
		out += p
	}
	return out
}

const residentCols = `id, coalesce(esia_oid, 0), last_name, first_name, middle_name, coalesce(snils, ''),
	coalesce(email, ''), coalesce(phone, ''), coalesce(password_hash, ''), email_confirmed_at, consent_at,
	failed_logins, locked_until, created_at`

func scanResident(row pgx.Row) (Resident, error) {
	var r Resident
	err := row.Scan(&r.ID, &r.ESIAOID, &r.LastName, &r.FirstName, &r.MiddleName, &r.SNILS, &r.Email, &r.Phone,
		&r.PasswordHash, &r.EmailConfirmedAt, &r.ConsentAt, &r.FailedLogins, &r.LockedUntil, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return r, apperr.E(apperr.NotFound, "find resident", "no such resident")
	}
	return r, err
}

// ResidentByID returns one resident.
func ResidentByID(ctx context.Context, db DBTX, id int64) (Resident, error) {
	return scanResident(db.QueryRow(ctx, `SELECT `+residentCols+` FROM residents WHERE id = $1`, id))
}

// ResidentByEmail finds a resident by e-mail, case-insensitively.
func ResidentByEmail(ctx context.Context, db DBTX, email string) (Resident, error) {
	return scanResident(db.QueryRow(ctx, `SELECT `+residentCols+` FROM residents WHERE lower(email) = lower($1)`, email))
}

// ESIAPerson is what ESIA tells about a person at login.
type ESIAPerson struct {
	OID                             int64
	LastName, FirstName, MiddleName string
	SNILS, Email, Mobile            string
	// EmailVerified marks Email as confirmed by ESIA, so it can be used to log in with a password.
	EmailVerified bool
}

// LoginESIA finds the resident with p.OID, creating it from p on first login, and refreshes the
// name and SNILS from ESIA (the authoritative source). E-mail and phone are filled only when
// empty: the resident may have changed them in the cabinet. created tells a first login.
func LoginESIA(ctx context.Context, db DBTX, p ESIAPerson) (r Resident, created bool, err error) {
	snils := validSNILS(p.SNILS)
	// An e-mail that already belongs to another cabinet is not copied (the unique index would
	// refuse it); the resident can bind ESIA to that cabinet instead.
	err = db.QueryRow(ctx, `
		INSERT INTO residents (esia_oid, last_name, first_name, middle_name, snils, email, email_confirmed_at, phone, last_login_at)
		SELECT $1, $2, $3, $4, $5, e.email, CASE WHEN e.email IS NOT NULL AND $8 THEN now() END, nullif($7, ''), now()
		FROM (SELECT CASE WHEN $6 = '' OR EXISTS (SELECT 1 FROM residents WHERE lower(email) = lower($6)) THEN NULL ELSE $6 END AS email) e
		ON CONFLICT (esia_oid) DO UPDATE SET
		    last_name = EXCLUDED.last_name, first_name = EXCLUDED.first_name, middle_name = EXCLUDED.middle_name,
		    snils = coalesce(EXCLUDED.snils, residents.snils),
		    phone = coalesce(residents.phone, EXCLUDED.phone), last_login_at = now()
		RETURNING id, (xmax = 0)`,
		p.OID, p.LastName, p.FirstName, p.MiddleName, snils, p.Email, p.Mobile, p.EmailVerified).Scan(&r.ID, &created)
	if err != nil {
		return r, false, fmt.Errorf("login resident by ESIA oid %d: %w", p.OID, err)
	}
	r, err = ResidentByID(ctx, db, r.ID)
	return r, created, err
}

// snilsPattern is the residents.snils check: "000-000-000 00".
var snilsPattern = regexp.MustCompile(`^[0-9]{3}-[0-9]{3}-[0-9]{3} [0-9]{2}$`)

// validSNILS keeps a SNILS only in the stored form; ESIA sends it so, and anything else is
// dropped rather than failing the login.
func validSNILS(s string) *string {
	if !snilsPattern.MatchString(s) {
		return nil
	}
	return &s
}

// BindESIA attaches ESIA identity p to the local resident id and takes its name and SNILS. It
// is a Conflict when the oid already belongs to another cabinet.
func BindESIA(ctx context.Context, db DBTX, id int64, p ESIAPerson) error {
	snils := validSNILS(p.SNILS)
	tag, err := db.Exec(ctx, `
		UPDATE residents SET esia_oid = $2, last_name = $3, first_name = $4, middle_name = $5, snils = coalesce($6, snils)
		WHERE id = $1 AND (esia_oid IS NULL OR esia_oid = $2)`, id, p.OID, p.LastName, p.FirstName, p.MiddleName, snils)
	if isUniqueViolation(err) {
		return apperr.E(apperr.Conflict, "bind ESIA", "эта учётная запись Госуслуг уже привязана к другому кабинету")
	}
	if err != nil {
		return fmt.Errorf("bind ESIA oid %d to resident %d: %w", p.OID, id, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.Conflict, "bind ESIA", "к кабинету уже привязана другая учётная запись Госуслуг")
	}
	return nil
}

// NewLocalResident is a registration with e-mail and password.
type NewLocalResident struct {
	Email, Phone, PasswordHash string
}

// CreateLocalResident stores a registration; the e-mail is unconfirmed until the link in the
// confirmation letter is opened. A taken e-mail is a Conflict.
func CreateLocalResident(ctx context.Context, db DBTX, n NewLocalResident) (int64, error) {
	var id int64
	err := db.QueryRow(ctx, `
		INSERT INTO residents (email, phone, password_hash, consent_at) VALUES ($1, $2, $3, now()) RETURNING id`,
		n.Email, n.Phone, n.PasswordHash).Scan(&id)
	if isUniqueViolation(err) {
		return 0, apperr.E(apperr.Conflict, "register", "этот адрес электронной почты уже зарегистрирован")
	}
	if err != nil {
		return 0, fmt.Errorf("register resident: %w", err)
	}
	return id, nil
}

// RecordLoginSuccess clears the failure counter.
func RecordLoginSuccess(ctx context.Context, db DBTX, id int64) error {
	_, err := db.Exec(ctx, `UPDATE residents SET failed_logins = 0, locked_until = NULL, last_login_at = now() WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("record login of resident %d: %w", id, err)
	}
	return nil
}

// ConfirmResidentEmail marks the resident's e-mail confirmed.
func ConfirmResidentEmail(ctx context.Context, db DBTX, id int64) error {
	_, err := db.Exec(ctx, `UPDATE residents SET email_confirmed_at = coalesce(email_confirmed_at, now()) WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("confirm e-mail of resident %d: %w", id, err)
	}
	return nil
}

// SetResidentPassword replaces the password hash and lifts a lockout.
func SetResidentPassword(ctx context.Context, db DBTX, id int64, hash string) error {
	_, err := db.Exec(ctx, `UPDATE residents SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`, id, hash)
	if err != nil {
		return fmt.Errorf("set password of resident %d: %w", id, err)
	}
	return nil
}

// SetResidentEmail sets a confirmed new e-mail. A taken address is a Conflict.
func SetResidentEmail(ctx context.Context, db DBTX, id int64, email string) error {
	_, err := db.Exec(ctx, `UPDATE residents SET email = $2, email_confirmed_at = now() WHERE id = $1`, id, email)
	if isUniqueViolation(err) {
		return apperr.E(apperr.Conflict, "change e-mail", "этот адрес электронной почты уже зарегистрирован")
	}
	if err != nil {
		return fmt.Errorf("set e-mail of resident %d: %w", id, err)
	}
	return nil
}

// SetResidentPhone sets the phone number.
func SetResidentPhone(ctx context.Context, db DBTX, id int64, phone string) error {
	if _, err := db.Exec(ctx, `UPDATE residents SET phone = nullif($2, '') WHERE id = $1`, id, phone); err != nil {
		return fmt.Errorf("set phone of resident %d: %w", id, err)
	}
	return nil
}

// DeleteResident removes the cabinet: the resident, its links, tokens and sessions. Requests
// keep their history without the resident (ON DELETE SET NULL).
func DeleteResident(ctx context.Context, db DBTX, id int64) error {
	if _, err := db.Exec(ctx, `DELETE FROM sessions WHERE subject_kind = 'resident' AND subject_id = $1`, id); err != nil {
		return fmt.Errorf("delete sessions of resident %d: %w", id, err)
	}
	if _, err := db.Exec(ctx, `DELETE FROM residents WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete resident %d: %w", id, err)
	}
	return nil
}
