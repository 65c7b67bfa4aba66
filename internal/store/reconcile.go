package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// NewStatement is a parsed bank statement to store.
type NewStatement struct {
	SHA256    []byte
	FileName  string
	Version   string
	Encoding  string
	Accounts  []string
	From, To  *time.Time
	Content   []byte
	Documents []StatementDocument
}

// StatementDocument is one document of a bank statement.
type StatementDocument struct {
	ID           int64
	StatementID  int64
	Line         int
	Kind         string
	Number       string
	Date         time.Time
	Amount       int64
	Incoming     bool
	PayerAccount string
	PayerINN     string
	PayerName    string
	PayeeAccount string
	ReceivedOn   *time.Time
	Purpose      string
	RegistryID   *int64
}

// ErrDuplicateStatement is wrapped (kind Conflict) when a statement file
// is stored twice, or another file brings only documents stored before.
var ErrDuplicateStatement = errors.New("the same statement was imported before")

// StoredStatement says what CreateStatement stored.
type StoredStatement struct {
	ID int64
	// Duplicates counts documents stored before with another statement
	// (the same number, date, amount, payer's and payee's accounts): kept
	// and flagged, they are never money twice.
	Duplicates int
}

// CreateStatement stores a statement and its documents. Documents are
// known by content, not by file: one whose number, date, amount, payer's
// and payee's accounts match a document stored before is flagged as a
// duplicate; a statement all of whose documents are duplicates (the same
// statement in another encoding, with other line ends) is not stored and
// is a Conflict wrapping ErrDuplicateStatement, as is the same file twice.
func CreateStatement(ctx context.Context, tx pgx.Tx, st NewStatement) (StoredStatement, error) {
	var out StoredStatement
	fail := func(err error) (StoredStatement, error) {
		_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT create_statement")
		return StoredStatement{}, err
	}
	if _, err := tx.Exec(ctx, "SAVEPOINT create_statement"); err != nil {
		return out, fmt.Errorf("store statement %s: %w", st.FileName, err)
	}
	if st.Accounts == nil {
		st.Accounts = []string{}
	}
	err := tx.QueryRow(ctx, `
		INSERT INTO bank_statements (sha256, file_name, version, encoding, accounts, date_from, date_to, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		st.SHA256, st.FileName, st.Version, st.Encoding, st.Accounts, st.From, st.To, st.Content).Scan(&out.ID)
	if isUniqueViolation(err) {
		return fail(apperr.Wrap(apperr.Conflict, "store statement "+st.FileName, ErrDuplicateStatement))
	}
	if err != nil {
		return fail(fmt.Errorf("store statement %s: %w", st.FileName, err))
	}
	if _, err := tx.Exec(ctx, `
		CREATE TEMP TABLE IF NOT EXISTS statement_stage (
			line integer, kind text, number text, doc_date date, amount bigint, incoming boolean, payer_account text,
			payer_inn text, payer_name text, payee_account text, received_on date, purpose text
		) ON COMMIT DROP`); err != nil {
		return fail(fmt.Errorf("store statement %s documents: %w", st.FileName, err))
	}
	if _, err := tx.Exec(ctx, `TRUNCATE statement_stage`); err != nil {
		return fail(fmt.Errorf("store statement %s documents: %w", st.FileName, err))
	}
	rows := make([][]any, len(st.Documents))
	for i, d := range st.Documents {
		rows[i] = []any{d.Line, d.Kind, d.Number, d.Date, d.Amount, d.Incoming, d.PayerAccount, d.PayerINN,
			d.PayerName, d.PayeeAccount, d.ReceivedOn, d.Purpose}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"statement_stage"}, []string{"line", "kind", "number", "doc_date",
		"amount", "incoming", "payer_account", "payer_inn", "payer_name", "payee_account", "received_on", "purpose"},
		pgx.CopyFromRows(rows)); err != nil {
		return fail(fmt.Errorf("store statement %s documents: %w", st.FileName, err))
	}
	// A document repeated within the file is a duplicate of its first copy.
	err = tx.QueryRow(ctx, `
		WITH ins AS (
			INSERT INTO statement_documents (statement_id, line, kind, number, doc_date, amount, incoming, payer_account,
				payer_inn, payer_name, payee_account, received_on, purpose, duplicate)
			SELECT $1, s.line, s.kind, s.number, s.doc_date, s.amount, s.incoming, s.payer_account, s.payer_inn,
				s.payer_name, s.payee_account, s.received_on, s.purpose,
				row_number() OVER (PARTITION BY s.number, s.doc_date, s.amount, s.payer_account, s.payee_account ORDER BY s.line) > 1
				OR EXISTS (SELECT 1 FROM statement_documents d WHERE NOT d.duplicate AND d.number = s.number
					AND d.doc_date = s.doc_date AND d.amount = s.amount AND d.payer_account = s.payer_account
					AND d.payee_account = s.payee_account)
			FROM statement_stage s ORDER BY s.line
			RETURNING duplicate)
		SELECT count(*) FILTER (WHERE duplicate), count(*) FROM ins`, out.ID).Scan(&out.Duplicates, new(int))
	if isUniqueViolation(err) {
		// Another import stored the same documents at the same moment.
		return fail(apperr.Wrap(apperr.Conflict, "store statement "+st.FileName, ErrDuplicateStatement))
	}
	if err != nil {
		return fail(fmt.Errorf("store statement %s documents: %w", st.FileName, err))
	}
	if len(st.Documents) > 0 && out.Duplicates == len(st.Documents) {
		return fail(apperr.Wrap(apperr.Conflict, "store statement "+st.FileName, ErrDuplicateStatement))
	}
	return out, nil
}

// Reconcile matches registries to incoming statement documents: the
// totals line's payment order (number, date) and the amount to transfer
// must equal a document's number, date and amount. Each registry takes at
// most one document and each document at most one registry. It returns how
// many new matches it made; run it after every statement and every
// processed registry.
func Reconcile(ctx context.Context, db DBTX) (int, error) {
	tag, err := db.Exec(ctx, `
		WITH candidates AS (
			SELECT DISTINCT ON (r.id) r.id AS registry_id, d.id AS document_id
			FROM registries r
			JOIN statement_documents d ON d.incoming AND NOT d.duplicate AND d.registry_id IS NULL
			     AND d.number = r.order_number AND d.doc_date = r.order_date
			     AND d.amount = coalesce(r.declared_transfer, r.transfer)
			WHERE r.state IN ('accepted', 'accepted_with_quarantine') AND r.order_number <> ''
			  AND NOT EXISTS (SELECT 1 FROM statement_documents x WHERE x.registry_id = r.id)
			ORDER BY r.id, d.id
		), matches AS (
			SELECT DISTINCT ON (document_id) registry_id, document_id FROM candidates ORDER BY document_id, registry_id
		)
		UPDATE statement_documents d SET registry_id = m.registry_id FROM matches m WHERE d.id = m.document_id`)
	if err != nil {
		return 0, fmt.Errorf("reconcile registries: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Reconciliation states of a registry.
const (
	ReconReconciled     = "reconciled"
	ReconNoMoney        = "no_money"        // no document with its payment order yet
	ReconAmountMismatch = "amount_mismatch" // a document with its order number and date, another amount
	ReconNoOrder        = "no_order"        // the registry names no payment order
)

// ReconciliationLine is a registry and the money found for it.
type ReconciliationLine struct {
	Registry Registry
	Status   string
	Expected int64 // amount to transfer, kopecks
	Document *StatementDocument
}

// ReconciliationReport lists registries with their money and money
// without a registry.
type ReconciliationReport struct {
	Registries []ReconciliationLine
	// Unmatched are incoming documents no registry claims: money without
	// registries (or payments of another kind, e.g. a resident's transfer).
	Unmatched []StatementDocument
}

// LoadReconciliation builds the report over accepted registries and
// incoming documents.
func LoadReconciliation(ctx context.Context, db DBTX, limit int) (ReconciliationReport, error) {
	if limit <= 0 {
		limit = 500
	}
	var rep ReconciliationReport
	regs, err := db.Query(ctx, registrySelect+`
		WHERE r.state IN ('accepted', 'accepted_with_quarantine') ORDER BY r.id DESC LIMIT $1`, limit)
	if err != nil {
		return rep, fmt.Errorf("reconciliation report: %w", err)
	}
	var list []Registry
	for regs.Next() {
		r, err := scanRegistry(regs)
		if err != nil {
			regs.Close()
			return rep, fmt.Errorf("reconciliation report: %w", err)
		}
		list = append(list, r)
	}
	regs.Close()
	if err := regs.Err(); err != nil {
		return rep, fmt.Errorf("reconciliation report: %w", err)
	}
	for _, r := range list {
		line := ReconciliationLine{Registry: r, Expected: r.Transfer}
		if r.DeclaredTransfer != nil {
			line.Expected = *r.DeclaredTransfer
		}
		var doc *StatementDocument
		switch {
		case r.DocumentID != nil:
			doc, err = documentWhere(ctx, db, `d.id = $1`, *r.DocumentID)
			line.Status = ReconReconciled
		case r.OrderNumber == "" || r.OrderDate == nil:
			line.Status = ReconNoOrder
		default:
			doc, err = documentWhere(ctx, db, `d.incoming AND NOT d.duplicate AND d.registry_id IS NULL AND d.number = $1 AND d.doc_date = $2`, r.OrderNumber, *r.OrderDate)
			line.Status = ReconNoMoney
			if doc != nil {
				line.Status = ReconAmountMismatch
			}
		}
		if err != nil {
			return rep, fmt.Errorf("reconciliation report: %w", err)
		}
		line.Document = doc
		rep.Registries = append(rep.Registries, line)
	}
	rows, err := db.Query(ctx, documentSelect+` WHERE d.incoming AND NOT d.duplicate AND d.registry_id IS NULL ORDER BY d.doc_date DESC, d.id DESC LIMIT $1`, limit)
	if err != nil {
		return rep, fmt.Errorf("reconciliation report: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return rep, fmt.Errorf("reconciliation report: %w", err)
		}
		rep.Unmatched = append(rep.Unmatched, d)
	}
	return rep, rows.Err()
}

const documentSelect = `
	SELECT d.id, d.statement_id, d.line, d.kind, d.number, d.doc_date, d.amount, d.incoming, d.payer_account,
		d.payer_inn, d.payer_name, d.payee_account, d.received_on, d.purpose, d.registry_id
	FROM statement_documents d`

func scanDocument(row pgx.Row) (StatementDocument, error) {
	var d StatementDocument
	err := row.Scan(&d.ID, &d.StatementID, &d.Line, &d.Kind, &d.Number, &d.Date, &d.Amount, &d.Incoming,
		&d.PayerAccount, &d.PayerINN, &d.PayerName, &d.PayeeAccount, &d.ReceivedOn, &d.Purpose, &d.RegistryID)
	return d, err
}

func documentWhere(ctx context.Context, db DBTX, where string, args ...any) (*StatementDocument, error) {
	d, err := scanDocument(db.QueryRow(ctx, documentSelect+" WHERE "+where+" ORDER BY d.id LIMIT 1", args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &d, nil
}
