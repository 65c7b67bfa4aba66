package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Registry states.
const (
	RegistryReceived               = "received"
	RegistryAccepted               = "accepted"
	RegistryAcceptedWithQuarantine = "accepted_with_quarantine"
	RegistryRejected               = "rejected"
)

// Registry intakes: how the file came in.
const (
	IntakeCLI    = "cli"
	IntakeUpload = "upload"
	IntakeInbox  = "inbox"
)

// registryChunkSize is the size of the pieces a raw file is stored in.
const registryChunkSize = 1 << 20

// Registry is one bank payment registry file and what processing made of it.
type Registry struct {
	ID               int64
	SHA256           []byte
	FileName         string
	SizeBytes        int64
	Intake           string
	Profile          string
	OrgID            *int64
	Bank             string
	State            string
	Encoding         string
	RejectReason     string
	Lines            int
	RowsTotal        int
	RowsPosted       int
	RowsDuplicate    int
	RowsQuarantined  int
	RowsWarned       int
	ReadingsPosted   int
	Amount           int64
	Transfer         int64
	Commission       int64
	OrderNumber      string
	OrderDate        *time.Time
	DeclaredTransfer *int64
	Summary          json.RawMessage
	ReceivedAt       time.Time
	ProcessedAt      *time.Time
	// DocumentID is the statement document that brought this registry's
	// money, when reconciled.
	DocumentID *int64
	// OpenIssues counts quarantined and duplicate lines still open.
	OpenIssues int
}

// Reconciled reports whether a statement document matched the registry.
func (r Registry) Reconciled() bool { return r.DocumentID != nil }

// Final reports whether processing has finished.
func (r Registry) Final() bool { return r.State != RegistryReceived }

// NewRegistry is what intake knows before processing.
type NewRegistry struct {
	SHA256    []byte // of the whole file, computed before storing
	FileName  string
	SizeBytes int64
	Intake    string
	Profile   string // requested profile, "" to guess
	OrgID     *int64
}

// ErrDuplicateFile is returned (wrapped, kind Conflict) by CreateRegistry
// when a file with the same SHA-256 is already stored.
var ErrDuplicateFile = errors.New("the same file was imported before")

// RegistryBySHA256 finds a registry by its file hash.
func RegistryBySHA256(ctx context.Context, db DBTX, sum []byte) (Registry, bool, error) {
	r, err := scanRegistry(db.QueryRow(ctx, registrySelect+` WHERE r.sha256 = $1`, sum))
	if errors.Is(err, pgx.ErrNoRows) {
		return Registry{}, false, nil
	}
	if err != nil {
		return Registry{}, false, fmt.Errorf("look up registry by hash: %w", err)
	}
	return r, true, nil
}

// CreateRegistry stores a registry file: its row first, then its bytes in
// chunks, streamed from content. The content must hash to reg.SHA256 (the
// caller hashed it in a first pass); a file that changed in between is
// refused. A file already stored is a Conflict wrapping ErrDuplicateFile.
func CreateRegistry(ctx context.Context, tx pgx.Tx, reg NewRegistry, content io.Reader) (int64, error) {
	var id int64
	_, err := tx.Exec(ctx, "SAVEPOINT create_registry")
	if err != nil {
		return 0, fmt.Errorf("store registry %s: %w", reg.FileName, err)
	}
	err = tx.QueryRow(ctx, `
		INSERT INTO registries (sha256, file_name, size_bytes, intake, profile, org_id)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		reg.SHA256, reg.FileName, reg.SizeBytes, reg.Intake, reg.Profile, reg.OrgID).Scan(&id)
	if isUniqueViolation(err) {
		_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT create_registry")
		return 0, apperr.Wrap(apperr.Conflict, "store registry "+reg.FileName, ErrDuplicateFile)
	}
	if err != nil {
		return 0, fmt.Errorf("store registry %s: %w", reg.FileName, err)
	}
	if err := registryChunks.copyChunks(ctx, tx, "store registry "+reg.FileName, id, content, reg.SHA256, reg.SizeBytes); err != nil {
		return 0, err
	}
	return id, nil
}

// RegistryContent streams a stored file back, one chunk at a time, so
// memory stays flat whatever its size. Each chunk is a separate query on
// db, which must therefore not be a transaction busy with a COPY.
func RegistryContent(ctx context.Context, db DBTX, id int64) io.Reader {
	return registryChunks.reader(ctx, db, id)
}

const registrySelect = `
	SELECT r.id, r.sha256, r.file_name, r.size_bytes, r.intake, r.profile, r.org_id, r.bank, r.state, r.encoding,
		r.reject_reason, r.lines, r.rows_total, r.rows_posted, r.rows_duplicate, r.rows_quarantined, r.rows_warned,
		r.readings_posted, r.amount, r.transfer, r.commission, r.order_number, r.order_date, r.declared_transfer,
		r.summary, r.received_at, r.processed_at,
		(SELECT d.id FROM statement_documents d WHERE d.registry_id = r.id),
		(SELECT count(*) FROM registry_issues i WHERE i.registry_id = r.id AND i.state = 'open')
	FROM registries r`

func scanRegistry(row pgx.Row) (Registry, error) {
	var r Registry
	err := row.Scan(&r.ID, &r.SHA256, &r.FileName, &r.SizeBytes, &r.Intake, &r.Profile, &r.OrgID, &r.Bank, &r.State,
		&r.Encoding, &r.RejectReason, &r.Lines, &r.RowsTotal, &r.RowsPosted, &r.RowsDuplicate, &r.RowsQuarantined,
		&r.RowsWarned, &r.ReadingsPosted, &r.Amount, &r.Transfer, &r.Commission, &r.OrderNumber, &r.OrderDate,
		&r.DeclaredTransfer, &r.Summary, &r.ReceivedAt, &r.ProcessedAt, &r.DocumentID, &r.OpenIssues)
	return r, err
}

// GetRegistry loads one registry; NotFound when there is none.
func GetRegistry(ctx context.Context, db DBTX, id int64) (Registry, error) {
	r, err := scanRegistry(db.QueryRow(ctx, registrySelect+` WHERE r.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Registry{}, apperr.E(apperr.NotFound, "load registry", fmt.Sprintf("no registry %d", id))
	}
	if err != nil {
		return Registry{}, fmt.Errorf("load registry %d: %w", id, err)
	}
	return r, nil
}

// RegistryState returns just the state of registry id: cheap enough to
// poll while a large file is processed.
func RegistryState(ctx context.Context, db DBTX, id int64) (string, error) {
	var state string
	err := db.QueryRow(ctx, `SELECT state FROM registries WHERE id = $1`, id).Scan(&state)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.E(apperr.NotFound, "registry state", fmt.Sprintf("no registry %d", id))
	}
	if err != nil {
		return "", fmt.Errorf("registry %d state: %w", id, err)
	}
	return state, nil
}

// GetRegistryForUpdate loads a registry and locks its row until the
// transaction ends, so two workers never process the same file at once.
func GetRegistryForUpdate(ctx context.Context, tx pgx.Tx, id int64) (Registry, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM registries WHERE id = $1 FOR UPDATE`, id); err != nil {
		return Registry{}, fmt.Errorf("lock registry %d: %w", id, err)
	}
	return GetRegistry(ctx, tx, id)
}

// RegistryFilter narrows ListRegistries.
type RegistryFilter struct {
	State string // "" for all
	Limit int    // default 100
}

// ListRegistries returns the newest registries first.
func ListRegistries(ctx context.Context, db DBTX, f RegistryFilter) ([]Registry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	rows, err := db.Query(ctx, registrySelect+` WHERE ($1 = '' OR r.state = $1) ORDER BY r.id DESC LIMIT $2`, f.State, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("list registries: %w", err)
	}
	defer rows.Close()
	var out []Registry
	for rows.Next() {
		r, err := scanRegistry(rows)
		if err != nil {
			return nil, fmt.Errorf("list registries: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RegistryOutcome is the verdict of processing, written once.
type RegistryOutcome struct {
	State            string
	Profile          string
	Bank             string
	Encoding         string
	RejectReason     string
	Lines            int
	RowsTotal        int
	Amount           int64
	Transfer         int64
	Commission       int64
	OrderNumber      string
	OrderDate        *time.Time
	DeclaredTransfer *int64
	Summary          any // marshalled to JSON
	Posted           PostResult
}

// FinishRegistry records the outcome of processing registry id.
func FinishRegistry(ctx context.Context, db DBTX, id int64, o RegistryOutcome) error {
	summary, err := json.Marshal(o.Summary)
	if err != nil {
		return fmt.Errorf("finish registry %d: encode summary: %w", id, err)
	}
	tag, err := db.Exec(ctx, `
		UPDATE registries SET state = $2, profile = $3, bank = $4, encoding = $5, reject_reason = $6, lines = $7,
			rows_total = $8, amount = $9, transfer = $10, commission = $11, order_number = $12, order_date = $13,
			declared_transfer = $14, summary = $15, rows_posted = $16, rows_duplicate = $17, rows_quarantined = $18,
			rows_warned = $19, readings_posted = $20, processed_at = now()
		WHERE id = $1 AND state = 'received'`,
		id, o.State, o.Profile, o.Bank, o.Encoding, o.RejectReason, o.Lines, o.RowsTotal, o.Amount, o.Transfer,
		o.Commission, o.OrderNumber, o.OrderDate, o.DeclaredTransfer, summary, o.Posted.Posted, o.Posted.Duplicates,
		o.Posted.Quarantined, o.Posted.Warned, o.Posted.Readings)
	if err != nil {
		return fmt.Errorf("finish registry %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.E(apperr.Conflict, "finish registry", fmt.Sprintf("registry %d is not waiting to be processed", id))
	}
	return nil
}

// AccountNumbers returns up to limit account numbers, oldest first: the
// accounts a generated registry pays.
func AccountNumbers(ctx context.Context, db DBTX, limit int) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT number FROM accounts WHERE closed_on IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list account numbers: %w", err)
	}
	nums, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list account numbers: %w", err)
	}
	return nums, nil
}

// OrganizationIDByINN finds an organization by its INN (and KPP when
// several share the INN); NotFound or Invalid (ambiguous) otherwise.
func OrganizationIDByINN(ctx context.Context, db DBTX, inn string) (int64, error) {
	rows, err := db.Query(ctx, `SELECT id FROM organizations WHERE inn = $1 ORDER BY id LIMIT 2`, inn)
	if err != nil {
		return 0, fmt.Errorf("find organization %s: %w", inn, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("find organization %s: %w", inn, err)
	}
	switch len(ids) {
	case 0:
		return 0, apperr.E(apperr.NotFound, "find organization", fmt.Sprintf("no organization with INN %s", inn))
	case 1:
		return ids[0], nil
	}
	return 0, apperr.Invalidf("find organization", "several organizations have INN %s", inn)
}

// RequeueRejectedRegistry puts a rejected registry back to be processed
// again with another profile: nothing of it was applied, so reading it
// again cannot post anything twice.
func RequeueRejectedRegistry(ctx context.Context, db DBTX, id int64, profile string) error {
	tag, err := db.Exec(ctx, `
		UPDATE registries SET state = 'received', profile = $2, reject_reason = '', summary = '{}', processed_at = NULL,
			encoding = '', lines = 0, rows_total = 0, amount = 0, transfer = 0, commission = 0
		WHERE id = $1 AND state = 'rejected'`, id, profile)
	if err != nil {
		return fmt.Errorf("requeue registry %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.E(apperr.Conflict, "requeue registry", fmt.Sprintf("registry %d is not rejected", id))
	}
	return nil
}
