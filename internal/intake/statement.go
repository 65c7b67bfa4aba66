package intake

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// StatementImport says what ImportStatement did.
type StatementImport struct {
	StatementID int64
	// Duplicate is true when every document was imported before (the same
	// statement, perhaps in another encoding): nothing was stored.
	Duplicate bool
	Documents int
	// Duplicates counts documents imported before with another statement:
	// stored, flagged, never counted as money twice.
	Duplicates int
	Incoming   int
	Matched    int // registries reconciled by this import
	Warnings   []bank.FileProblem
}

// ImportStatement reads a 1CClientBankExchange statement, stores it with
// its documents and reconciles registries against it, in one transaction.
// A statement that does not parse is Invalid, naming every problem.
func (in *Intake) ImportStatement(ctx context.Context, r io.Reader, name string) (StatementImport, error) {
	name = filepath.Base(name)
	limit := in.cfg.MaxStatementBytes
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return StatementImport{}, fmt.Errorf("import statement %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return StatementImport{}, apperr.Invalidf("import statement "+name, "larger than %d MB", limit>>20)
	}
	st, err := bank.ParseStatement(bytes.NewReader(data), name)
	if err != nil {
		var re *bank.RejectedError
		if errors.As(err, &re) {
			return StatementImport{}, apperr.Invalidf("import statement", "%s", re.Error())
		}
		return StatementImport{}, err
	}
	sum := sha256.Sum256(data)
	ns := store.NewStatement{SHA256: sum[:], FileName: name, Version: st.Version, Encoding: string(st.Encoding),
		Accounts: st.Accounts, Content: data}
	if !st.From.IsZero() {
		ns.From = &st.From
	}
	if !st.To.IsZero() {
		ns.To = &st.To
	}
	res := StatementImport{Documents: len(st.Documents), Warnings: st.Warnings}
	for _, d := range st.Documents {
		doc := store.StatementDocument{Line: d.Line, Kind: d.Kind, Number: d.Number, Date: d.Date, Amount: d.Amount,
			Incoming: d.Incoming(st.Accounts), PayerAccount: d.PayerAccount, PayerINN: d.PayerINN,
			PayerName: d.PayerName, PayeeAccount: d.PayeeAccount, Purpose: d.Purpose}
		if !d.Received.IsZero() {
			doc.ReceivedOn = &d.Received
		}
		if doc.Incoming {
			res.Incoming++
		}
		ns.Documents = append(ns.Documents, doc)
	}
	tx, err := in.deps.Pool.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("import statement %s: %w", name, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	stored, err := store.CreateStatement(ctx, tx, ns)
	if errors.Is(err, store.ErrDuplicateStatement) {
		res.Duplicate = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.StatementID, res.Duplicates = stored.ID, stored.Duplicates
	if res.Matched, err = store.Reconcile(ctx, tx); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("import statement %s: commit: %w", name, err)
	}
	return res, nil
}
