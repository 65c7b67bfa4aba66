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
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// ChargeFileState is where a charge file is in its processing.
type ChargeFileState string

// Charge file states.
const (
	ChargeFileReceived               ChargeFileState = "received"
	ChargeFileAccepted               ChargeFileState = "accepted"
	ChargeFileAcceptedWithQuarantine ChargeFileState = "accepted_with_quarantine"
	ChargeFileRejected               ChargeFileState = "rejected"
	// ChargeFileDuplicate: the same charges (parsed) as an accepted file of
	// the same organization and period; nothing was applied.
	ChargeFileDuplicate ChargeFileState = "duplicate"
)

// ChargeIssueKind says why a line of a charge file was not applied.
type ChargeIssueKind string

// Charge issue kinds.
const (
	ChargeIssueInvalid        ChargeIssueKind = "invalid"
	ChargeIssueUnknownAccount ChargeIssueKind = "unknown_account"
	ChargeIssueUnknownService ChargeIssueKind = "unknown_service"
	ChargeIssueRepeated       ChargeIssueKind = "repeated"
)

// ChargeFile is one stored charge file and what processing made of it.
type ChargeFile struct {
	ID              int64
	SHA256          []byte
	FileName        string
	SizeBytes       int64
	Intake          string
	OrgID           *int64
	Period          *time.Time
	NewVersion      bool
	State           ChargeFileState
	Version         *int
	ContentSHA256   []byte
	DuplicateOf     *int64
	Format          string
	Encoding        string
	RejectReason    string
	RowsTotal       int
	RowsApplied     int
	RowsQuarantined int
	Charged         int64
	Total           int64
	Report          json.RawMessage
	ReceivedAt      time.Time
	ProcessedAt     *time.Time
}

// Final reports whether processing has finished.
func (f ChargeFile) Final() bool { return f.State != ChargeFileReceived }

// NewChargeFile is what intake knows before processing.
type NewChargeFile struct {
	SHA256     []byte // of the whole file, computed before storing
	FileName   string
	SizeBytes  int64
	Intake     string
	OrgID      *int64     // nil: the file names its organization
	Period     *time.Time // nil: the file names its period
	NewVersion bool       // replace the period's current version
}

const chargeFileSelect = `
	SELECT id, sha256, file_name, size_bytes, intake, org_id, period, new_version, state, version, content_sha256,
		duplicate_of, format, encoding, reject_reason, rows_total, rows_applied, rows_quarantined, charged, total,
		report, received_at, processed_at
	FROM charge_files`

func scanChargeFile(row pgx.Row) (ChargeFile, error) {
	var f ChargeFile
	err := row.Scan(&f.ID, &f.SHA256, &f.FileName, &f.SizeBytes, &f.Intake, &f.OrgID, &f.Period, &f.NewVersion, &f.State,
		&f.Version, &f.ContentSHA256, &f.DuplicateOf, &f.Format, &f.Encoding, &f.RejectReason, &f.RowsTotal,
		&f.RowsApplied, &f.RowsQuarantined, &f.Charged, &f.Total, &f.Report, &f.ReceivedAt, &f.ProcessedAt)
	return f, err
}

// ChargeFileBySHA256 finds a charge file by the hash of its bytes.
func ChargeFileBySHA256(ctx context.Context, db DBTX, sum []byte) (ChargeFile, bool, error) {
	f, err := scanChargeFile(db.QueryRow(ctx, chargeFileSelect+` WHERE sha256 = $1`, sum))
	if errors.Is(err, pgx.ErrNoRows) {
		return ChargeFile{}, false, nil
	}
	if err != nil {
		return ChargeFile{}, false, fmt.Errorf("look up charge file by hash: %w", err)
	}
	return f, true, nil
}

// GetChargeFile loads one charge file; NotFound when there is none.
func GetChargeFile(ctx context.Context, db DBTX, id int64) (ChargeFile, error) {
	f, err := scanChargeFile(db.QueryRow(ctx, chargeFileSelect+` WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return ChargeFile{}, apperr.E(apperr.NotFound, "load charge file", fmt.Sprintf("no charge file %d", id))
	}
	if err != nil {
		return ChargeFile{}, fmt.Errorf("load charge file %d: %w", id, err)
	}
	return f, nil
}

// GetChargeFileForUpdate loads a charge file and locks its row until the
// transaction ends, so two workers never process it at once.
func GetChargeFileForUpdate(ctx context.Context, tx pgx.Tx, id int64) (ChargeFile, error) {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM charge_files WHERE id = $1 FOR UPDATE`, id); err != nil {
		return ChargeFile{}, fmt.Errorf("lock charge file %d: %w", id, err)
	}
	return GetChargeFile(ctx, tx, id)
}

// ChargeFileStateOf returns just the state of file id, cheap to poll.
func ChargeFileStateOf(ctx context.Context, db DBTX, id int64) (ChargeFileState, error) {
	var s ChargeFileState
	err := db.QueryRow(ctx, `SELECT state FROM charge_files WHERE id = $1`, id).Scan(&s)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", apperr.E(apperr.NotFound, "charge file state", fmt.Sprintf("no charge file %d", id))
	}
	if err != nil {
		return "", fmt.Errorf("charge file %d state: %w", id, err)
	}
	return s, nil
}

// CreateChargeFile stores a charge file: its row, then its bytes in 1 MB
// chunks streamed from content, which must hash to f.SHA256 (the caller
// hashed it in a first pass). The same bytes stored before are a Conflict
// wrapping ErrDuplicateFile.
func CreateChargeFile(ctx context.Context, tx pgx.Tx, f NewChargeFile, content io.Reader) (int64, error) {
	op := "store charge file " + f.FileName
	if _, err := tx.Exec(ctx, "SAVEPOINT create_charge_file"); err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO charge_files (sha256, file_name, size_bytes, intake, org_id, period, new_version)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		f.SHA256, f.FileName, f.SizeBytes, f.Intake, f.OrgID, f.Period, f.NewVersion).Scan(&id)
	if isUniqueViolation(err) {
		_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT create_charge_file")
		return 0, apperr.Wrap(apperr.Conflict, op, ErrDuplicateFile)
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	if err := chargeChunks.copyChunks(ctx, tx, op, id, content, f.SHA256, f.SizeBytes); err != nil {
		return 0, err
	}
	return id, nil
}

// ChargeFileContent streams a stored charge file back one chunk at a time;
// db must not be a transaction busy with a COPY.
func ChargeFileContent(ctx context.Context, db DBTX, id int64) io.Reader {
	return chargeChunks.reader(ctx, db, id)
}

// RequeueChargeFile puts a rejected file back to be processed again with
// what intake says now (organization, period, new version): nothing of it
// was applied, so processing it again cannot apply anything twice.
func RequeueChargeFile(ctx context.Context, db DBTX, id int64, orgID *int64, period *time.Time, newVersion bool) error {
	tag, err := db.Exec(ctx, `
		UPDATE charge_files SET state = 'received', org_id = $2, period = $3, new_version = $4, reject_reason = '',
			report = '{}', processed_at = NULL, format = '', encoding = '', rows_total = 0, rows_applied = 0,
			rows_quarantined = 0, charged = 0, total = 0, content_sha256 = NULL
		WHERE id = $1 AND state = 'rejected'`, id, orgID, period, newVersion)
	if err != nil {
		return fmt.Errorf("requeue charge file %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.E(apperr.Conflict, "requeue charge file", fmt.Sprintf("charge file %d is not rejected", id))
	}
	return nil
}

var chargeStageColumns = []string{"line", "raw", "problem", "account_number", "service_code", "unit", "tariff", "norm",
	"volume", "common_volume", "amount", "recalculation", "recalc_reason", "benefit", "total", "calc"}

// StageCharges creates the transaction's staging table and COPYs the rows
// next yields into it (next returns nil at the end). It returns the number
// of rows staged.
func StageCharges(ctx context.Context, tx pgx.Tx, next func() (*model.ChargeLine, error)) (int, error) {
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE charge_stage (
			line integer NOT NULL, raw text NOT NULL, problem text NOT NULL, account_number text, service_code text,
			unit text, tariff numeric, norm numeric, volume numeric, common_volume numeric, amount bigint,
			recalculation bigint, recalc_reason text, benefit bigint, total bigint, calc text
		) ON COMMIT DROP`); err != nil {
		return 0, fmt.Errorf("create charge staging table: %w", err)
	}
	n := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		r, err := next()
		if r == nil || err != nil {
			return nil, err
		}
		n++
		acct, svc := &r.AccountNumber, &r.ServiceCode
		if r.AccountNumber == "" {
			acct = nil
		}
		if r.ServiceCode == "" {
			svc = nil
		}
		if r.Problem != "" {
			return []any{r.Line, r.Raw, r.Problem, acct, svc, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}, nil
		}
		return []any{r.Line, r.Raw, "", acct, svc, r.Unit, r.Tariff, optNumeric(r.Norm), r.Volume, r.CommonVolume,
			r.Amount, r.Recalculation, r.RecalcReason, r.Benefit, r.Total, r.Calc}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"charge_stage"}, chargeStageColumns, src); err != nil {
		return n, fmt.Errorf("stage charge lines: %w", err)
	}
	return n, nil
}

// LockChargePeriod serializes, until the transaction ends, the processing
// of files for one organization and period, so versions are numbered in
// order.
func LockChargePeriod(ctx context.Context, tx pgx.Tx, orgID int64, period time.Time) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(format('charges:%s:%s', $1::bigint, $2::text), 0))`,
		orgID, period.Format("2006-01"))
	if err != nil {
		return fmt.Errorf("lock charges of organization %d, %s: %w", orgID, period.Format("2006-01"), err)
	}
	return nil
}

// ChargeVersion is one accepted file of an organization's period.
type ChargeVersion struct {
	FileID   int64
	Version  int
	FileName string
}

// ChargeFileByContent finds the accepted file of (org, period) holding the
// same parsed charges.
func ChargeFileByContent(ctx context.Context, db DBTX, orgID int64, period time.Time, content []byte) (ChargeVersion, bool, error) {
	var v ChargeVersion
	err := db.QueryRow(ctx, `
		SELECT id, version, file_name FROM charge_files
		WHERE org_id = $1 AND period = $2 AND content_sha256 = $3 AND state IN ('accepted', 'accepted_with_quarantine')`,
		orgID, period, content).Scan(&v.FileID, &v.Version, &v.FileName)
	if errors.Is(err, pgx.ErrNoRows) {
		return ChargeVersion{}, false, nil
	}
	if err != nil {
		return ChargeVersion{}, false, fmt.Errorf("look up charge file by content: %w", err)
	}
	return v, true, nil
}

// ChargeVersions lists the accepted versions of (org, period), oldest first.
func ChargeVersions(ctx context.Context, db DBTX, orgID int64, period time.Time) ([]ChargeVersion, error) {
	rows, err := db.Query(ctx, `
		SELECT id, version, file_name FROM charge_files
		WHERE org_id = $1 AND period = $2 AND version IS NOT NULL ORDER BY version`, orgID, period)
	if err != nil {
		return nil, fmt.Errorf("list charge versions: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChargeVersion, error) {
		var v ChargeVersion
		return v, r.Scan(&v.FileID, &v.Version, &v.FileName)
	})
	if err != nil {
		return nil, fmt.Errorf("list charge versions: %w", err)
	}
	return vs, nil
}

// ChargesWithoutFile counts the current charges of (org, period) that did
// not come from a charge file (loaded otherwise): a file never replaces them.
func ChargesWithoutFile(ctx context.Context, db DBTX, orgID int64, period time.Time) (int64, error) {
	var n int64
	err := db.QueryRow(ctx, `
		SELECT count(*) FROM charges c JOIN services s ON s.id = c.service_id
		WHERE s.org_id = $1 AND c.period = $2 AND c.file_id IS NULL`, orgID, period).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count charges without a file: %w", err)
	}
	return n, nil
}

// QuarantinePolicy decides when quarantined lines reject a whole file.
type QuarantinePolicy struct {
	// MaxShare and MinLines: a file is rejected when more than MinLines
	// lines and more than MaxShare of its lines are quarantined.
	MaxShare float64
	MinLines int
}

// DefaultQuarantinePolicy rejects a file with more than 10 quarantined
// lines making up more than 10 % of it (a wrong organization or a broken
// export, not a few stale accounts); FORMAT.md documents it.
var DefaultQuarantinePolicy = QuarantinePolicy{MaxShare: 0.10, MinLines: 10}

// ChargeApplyResult counts what applying staged charges did.
type ChargeApplyResult struct {
	Lines          int   `json:"lines"`
	Applied        int   `json:"applied"`
	Quarantined    int   `json:"quarantined"`
	Invalid        int   `json:"invalid"`
	UnknownAccount int   `json:"unknown_account"`
	UnknownService int   `json:"unknown_service"`
	Repeated       int   `json:"repeated"`
	Charged        int64 `json:"charged"`
	Total          int64 `json:"total"`
	// Rejected is set (and nothing written) when the policy refuses the file.
	Rejected string `json:"rejected,omitempty"`
	// Diff compares with the previous version (all lines added for version 1).
	Diff ChargeDiffCounts `json:"diff"`
}

// ApplyStagedCharges matches the staged lines to the organization's
// accounts and services, quarantines what cannot be applied, and — unless
// the policy refuses the file — writes the lines as version `version` of
// file fileID and makes them the current charges of (org, period),
// replacing the previous version's. All set-based, in tx.
func ApplyStagedCharges(ctx context.Context, tx pgx.Tx, fileID, orgID int64, period time.Time, version int, prevFileID *int64, pol QuarantinePolicy) (ChargeApplyResult, error) {
	var res ChargeApplyResult
	op := fmt.Sprintf("apply charge file %d", fileID)
	// ANALYZE: the planner knows nothing of a fresh temporary table. Then
	// one pass judges every line into a narrow table (no raw text): an
	// UPDATE per check would rewrite a million staged rows each time.
	if _, err := tx.Exec(ctx, `ANALYZE charge_stage`); err != nil {
		return res, fmt.Errorf("%s: %w", op, err)
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE charge_judged ON COMMIT DROP AS
		SELECT s.line, s.account_number, s.service_code, a.id AS account_id, v.id AS service_id,
			CASE WHEN s.problem <> '' THEN 'invalid' WHEN a.id IS NULL THEN 'unknown_account'
			     WHEN v.id IS NULL THEN 'unknown_service' WHEN s.line > min(s.line) OVER w THEN 'repeated' END AS kind,
			min(s.line) OVER w AS first_line,
			s.unit, s.tariff, s.norm, s.volume, s.common_volume, s.amount, s.recalculation, s.recalc_reason, s.benefit,
			s.total, s.calc
		FROM charge_stage s
		LEFT JOIN accounts a ON s.problem = '' AND a.org_id = $1 AND a.number = s.account_number
		LEFT JOIN services v ON s.problem = '' AND v.org_id = $1 AND v.code = s.service_code
		WINDOW w AS (PARTITION BY a.id, v.id)`, orgID); err != nil {
		return res, fmt.Errorf("%s: match lines: %w", op, err)
	}
	err := tx.QueryRow(ctx, `
		SELECT count(*), count(*) FILTER (WHERE kind IS NULL), count(*) FILTER (WHERE kind = 'invalid'),
			count(*) FILTER (WHERE kind = 'unknown_account'), count(*) FILTER (WHERE kind = 'unknown_service'),
			count(*) FILTER (WHERE kind = 'repeated'),
			coalesce(sum(amount) FILTER (WHERE kind IS NULL), 0), coalesce(sum(total) FILTER (WHERE kind IS NULL), 0)
		FROM charge_judged`).Scan(&res.Lines, &res.Applied, &res.Invalid, &res.UnknownAccount, &res.UnknownService,
		&res.Repeated, &res.Charged, &res.Total)
	if err != nil {
		return res, fmt.Errorf("%s: count: %w", op, err)
	}
	res.Quarantined = res.Lines - res.Applied
	switch {
	case res.Applied == 0:
		res.Rejected = fmt.Sprintf("no line can be applied: all %d lines are quarantined (%d invalid, %d unknown accounts, %d unknown services, %d repeated)",
			res.Lines, res.Invalid, res.UnknownAccount, res.UnknownService, res.Repeated)
		return res, nil
	case res.Quarantined > pol.MinLines && float64(res.Quarantined) > pol.MaxShare*float64(res.Lines):
		res.Rejected = fmt.Sprintf("%d of %d lines would be quarantined (%d invalid, %d unknown accounts, %d unknown services, %d repeated): more than %.0f%% — wrong organization or a broken export?",
			res.Quarantined, res.Lines, res.Invalid, res.UnknownAccount, res.UnknownService, res.Repeated, pol.MaxShare*100)
		return res, nil
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO charge_issues (file_id, line, raw, kind, reason, account_number, service_code)
		SELECT $1, j.line, s.raw, j.kind,
			CASE j.kind WHEN 'invalid' THEN s.problem
			     WHEN 'unknown_account' THEN format('unknown account %s for this organization', j.account_number)
			     WHEN 'unknown_service' THEN format('unknown service code %s for this organization', j.service_code)
			     ELSE format('account %s, service %s already charged on line %s', j.account_number, j.service_code, j.first_line) END,
			j.account_number, j.service_code
		FROM charge_judged j JOIN charge_stage s ON s.line = j.line
		WHERE j.kind IS NOT NULL`, fileID); err != nil {
		return res, fmt.Errorf("%s: quarantine: %w", op, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO charge_lines (file_id, account_id, service_id, line, unit, tariff, norm, volume, common_volume, amount,
			recalculation, recalc_reason, benefit, total, calc)
		SELECT $1, account_id, service_id, line, unit, tariff, norm, volume, common_volume, amount,
			recalculation, recalc_reason, benefit, total, calc
		FROM charge_judged WHERE kind IS NULL`, fileID); err != nil {
		return res, fmt.Errorf("%s: write version %d: %w", op, version, err)
	}
	if _, err := tx.Exec(ctx, `
		DELETE FROM charges c USING services s
		WHERE s.id = c.service_id AND s.org_id = $1 AND c.period = $2`, orgID, period); err != nil {
		return res, fmt.Errorf("%s: retire the previous version: %w", op, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO charges (account_id, service_id, period, tariff, norm, volume, amount, recalculation, benefit, file_id)
		SELECT account_id, service_id, $2, tariff, norm, volume + common_volume, amount, recalculation, benefit, $1
		FROM charge_judged WHERE kind IS NULL`, fileID, period); err != nil {
		return res, fmt.Errorf("%s: make version %d current: %w", op, version, err)
	}
	if prevFileID != nil {
		res.Diff, err = diffCounts(ctx, tx, *prevFileID, fileID)
		if err != nil {
			return res, fmt.Errorf("%s: %w", op, err)
		}
	} else {
		res.Diff = ChargeDiffCounts{Added: res.Applied}
	}
	return res, nil
}

// ChargeDiffKind says how a charge differs between two versions.
type ChargeDiffKind string

// Kinds of difference.
const (
	ChargeAdded   ChargeDiffKind = "added"
	ChargeRemoved ChargeDiffKind = "removed"
	ChargeChanged ChargeDiffKind = "changed"
)

// ChargeDiff is one account × service that differs between two versions.
type ChargeDiff struct {
	Kind          ChargeDiffKind `json:"kind"`
	AccountNumber string         `json:"account"`
	ServiceCode   string         `json:"service"`
	FromAmount    *int64         `json:"from_amount,omitempty"` // kopecks charged
	ToAmount      *int64         `json:"to_amount,omitempty"`
	FromTotal     *int64         `json:"from_total,omitempty"` // kopecks due
	ToTotal       *int64         `json:"to_total,omitempty"`
}

// ChargeDiffCounts sums a difference.
type ChargeDiffCounts struct {
	Added     int   `json:"added"`
	Removed   int   `json:"removed"`
	Changed   int   `json:"changed"`
	Unchanged int   `json:"unchanged"`
	Delta     int64 `json:"total_delta"` // kopecks: sum of to totals − sum of from totals
}

// chargeDiffSQL joins two files' lines; a line "changed" when anything
// billed differs (tariff, volumes, norm, amounts, calculation).
const chargeDiffSQL = `
	WITH a AS (SELECT * FROM charge_lines WHERE file_id = $1), b AS (SELECT * FROM charge_lines WHERE file_id = $2),
	d AS (
		SELECT coalesce(a.account_id, b.account_id) AS account_id, coalesce(a.service_id, b.service_id) AS service_id,
			CASE WHEN a.file_id IS NULL THEN 'added' WHEN b.file_id IS NULL THEN 'removed'
			     WHEN (a.tariff, a.norm, a.volume, a.common_volume, a.amount, a.recalculation, a.benefit, a.total, a.calc)
			          IS DISTINCT FROM (b.tariff, b.norm, b.volume, b.common_volume, b.amount, b.recalculation, b.benefit, b.total, b.calc)
			     THEN 'changed' ELSE 'same' END AS kind,
			a.amount AS from_amount, b.amount AS to_amount, a.total AS from_total, b.total AS to_total
		FROM a FULL JOIN b ON a.account_id = b.account_id AND a.service_id = b.service_id)`

func diffCounts(ctx context.Context, db DBTX, from, to int64) (ChargeDiffCounts, error) {
	var c ChargeDiffCounts
	err := db.QueryRow(ctx, chargeDiffSQL+`
		SELECT count(*) FILTER (WHERE kind = 'added'), count(*) FILTER (WHERE kind = 'removed'),
			count(*) FILTER (WHERE kind = 'changed'), count(*) FILTER (WHERE kind = 'same'),
			coalesce(sum(to_total), 0) - coalesce(sum(from_total), 0)
		FROM d`, from, to).Scan(&c.Added, &c.Removed, &c.Changed, &c.Unchanged, &c.Delta)
	if err != nil {
		return c, fmt.Errorf("diff charge files %d and %d: %w", from, to, err)
	}
	return c, nil
}

// DiffChargeVersions lists, per account × service, what version `to` of
// (org, period) added, removed or changed against version `from`, ordered
// by account and service, with the counts.
func DiffChargeVersions(ctx context.Context, db DBTX, orgID int64, period time.Time, from, to int) ([]ChargeDiff, ChargeDiffCounts, error) {
	op := fmt.Sprintf("diff charges %s versions %d and %d", period.Format("2006-01"), from, to)
	ids := make([]int64, 2)
	for i, v := range []int{from, to} {
		err := db.QueryRow(ctx, `SELECT id FROM charge_files WHERE org_id = $1 AND period = $2 AND version = $3`,
			orgID, period, v).Scan(&ids[i])
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ChargeDiffCounts{}, apperr.E(apperr.NotFound, op, fmt.Sprintf("organization %d has no version %d of %s", orgID, v, period.Format("2006-01")))
		}
		if err != nil {
			return nil, ChargeDiffCounts{}, fmt.Errorf("%s: %w", op, err)
		}
	}
	rows, err := db.Query(ctx, chargeDiffSQL+`
		SELECT d.kind, a.number, s.code, d.from_amount, d.to_amount, d.from_total, d.to_total
		FROM d JOIN accounts a ON a.id = d.account_id JOIN services s ON s.id = d.service_id
		WHERE d.kind <> 'same' ORDER BY a.number, s.code`, ids[0], ids[1])
	if err != nil {
		return nil, ChargeDiffCounts{}, fmt.Errorf("%s: %w", op, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChargeDiff, error) {
		var d ChargeDiff
		return d, r.Scan(&d.Kind, &d.AccountNumber, &d.ServiceCode, &d.FromAmount, &d.ToAmount, &d.FromTotal, &d.ToTotal)
	})
	if err != nil {
		return nil, ChargeDiffCounts{}, fmt.Errorf("%s: %w", op, err)
	}
	c, err := diffCounts(ctx, db, ids[0], ids[1])
	if err != nil {
		return nil, ChargeDiffCounts{}, err
	}
	return out, c, nil
}

// ChargeFileOutcome is the verdict of processing a charge file, written once.
type ChargeFileOutcome struct {
	State         ChargeFileState
	OrgID         *int64
	Period        *time.Time
	Version       *int
	ContentSHA256 []byte
	DuplicateOf   *int64
	Format        string
	Encoding      string
	RejectReason  string
	Result        ChargeApplyResult
	Report        any // marshalled to JSON
}

// FinishChargeFile records the outcome of processing file id.
func FinishChargeFile(ctx context.Context, db DBTX, id int64, o ChargeFileOutcome) error {
	report, err := json.Marshal(o.Report)
	if err != nil {
		return fmt.Errorf("finish charge file %d: encode report: %w", id, err)
	}
	tag, err := db.Exec(ctx, `
		UPDATE charge_files SET state = $2, org_id = coalesce($3, org_id), period = coalesce($4, period), version = $5,
			content_sha256 = $6, duplicate_of = $7, format = $8, encoding = $9, reject_reason = $10,
			rows_total = $11, rows_applied = $12, rows_quarantined = $13, charged = $14, total = $15, report = $16,
			processed_at = now()
		WHERE id = $1 AND state = 'received'`,
		id, o.State, o.OrgID, o.Period, o.Version, o.ContentSHA256, o.DuplicateOf, o.Format, o.Encoding, o.RejectReason,
		o.Result.Lines, o.Result.Applied, o.Result.Quarantined, o.Result.Charged, o.Result.Total, report)
	if err != nil {
		return fmt.Errorf("finish charge file %d: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return apperr.E(apperr.Conflict, "finish charge file", fmt.Sprintf("charge file %d is not waiting to be processed", id))
	}
	return nil
}

// ChargeIssue is a quarantined line of a charge file.
type ChargeIssue struct {
	Line   int             `json:"line"`
	Kind   ChargeIssueKind `json:"kind"`
	Reason string          `json:"reason"`
	Raw    string          `json:"raw"`
}

// ChargeIssues returns the first limit quarantined lines of file id, by line.
func ChargeIssues(ctx context.Context, db DBTX, id int64, limit int) ([]ChargeIssue, error) {
	rows, err := db.Query(ctx, `SELECT line, kind, reason, raw FROM charge_issues WHERE file_id = $1 ORDER BY line, id LIMIT $2`, id, limit)
	if err != nil {
		return nil, fmt.Errorf("charge file %d issues: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ChargeIssue, error) {
		var i ChargeIssue
		return i, r.Scan(&i.Line, &i.Kind, &i.Reason, &i.Raw)
	})
	if err != nil {
		return nil, fmt.Errorf("charge file %d issues: %w", id, err)
	}
	return out, nil
}
