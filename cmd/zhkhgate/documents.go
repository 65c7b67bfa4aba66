package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/money"
	"github.com/zhkhgate/zhkhgate/internal/receipt"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/docs"
)

func documentsCommands() []command {
	return []command{
		{"render", "write an account's payment document (ЕПД) for a month as PDF", cmdDocumentsRender},
		{"certificate", "write the debt-free certificate of an account as PDF; refused (exit 1) while the account owes", cmdDocumentsCertificate},
	}
}

// cmdDocuments is `zhkhgate documents SUBCOMMAND`.
func cmdDocuments(ctx context.Context, env *Env, args []string) error {
	return runGroup(ctx, env, "documents", "Payment documents and certificates from the store:", documentsCommands(), args)
}

func cmdDocumentsRender(ctx context.Context, env *Env, args []string) error {
	const op = "documents render"
	fs := newFlags(env, op, "documents render --account NUMBER --period YYYY-MM --out FILE.pdf\n\n"+
		"Writes the account's payment document for the month from the store. Totals that do not add up\n"+
		"(charged = the lines' total, total due = opening − paid + charged + penalties) are refused with the\n"+
		"first inconsistent field; nothing is corrected.")
	number := fs.String("account", "", "the account number")
	periodFlag := fs.String("period", "", "the month YYYY-MM")
	out := fs.String("out", "", "the PDF file to write")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if *number == "" || *periodFlag == "" || *out == "" {
		return apperr.Invalidf(op, "--account, --period and --out are required")
	}
	period, err := time.Parse("2006-01", *periodFlag)
	if err != nil {
		return apperr.Invalidf(op, "--period %q: want YYYY-MM", *periodFlag)
	}
	a, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	id, err := store.AccountIDByNumber(ctx, a.pool, *number)
	if err != nil {
		return err
	}
	data, err := store.DocumentForPDF(ctx, a.pool, id, period)
	if err != nil {
		return err
	}
	doc, err := docs.Document(data)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := receipt.Render(&b, doc); err != nil {
		return err
	}
	if err := writeOut(*out, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: payment document %s of account %s for %s, total due %s\n", *out, doc.Number,
		*number, *periodFlag, money.Rubles(data.Document.TotalDue))
	return nil
}

func cmdDocumentsCertificate(ctx context.Context, env *Env, args []string) error {
	const op = "documents certificate"
	fs := newFlags(env, op, "documents certificate --account NUMBER [--date YYYY-MM-DD] --out FILE.pdf\n\n"+
		"Writes the certificate that the account owes nothing on the date (default today): the latest payment\n"+
		"document issued by then less the payments since. While the account owes, nothing is written and the\n"+
		"command fails (exit 1) naming the debt.")
	number := fs.String("account", "", "the account number")
	dateFlag := fs.String("date", "", "the day the certificate is for, YYYY-MM-DD (default today)")
	out := fs.String("out", "", "the PDF file to write")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if *number == "" || *out == "" {
		return apperr.Invalidf(op, "--account and --out are required")
	}
	now := time.Now().UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if *dateFlag != "" {
		d, err := time.Parse(time.DateOnly, *dateFlag)
		if err != nil {
			return apperr.Invalidf(op, "--date %q: want YYYY-MM-DD", *dateFlag)
		}
		day = d
	}
	a, err := openDB(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	id, err := store.AccountIDByNumber(ctx, a.pool, *number)
	if err != nil {
		return err
	}
	h, err := store.AccountDocumentHeader(ctx, a.pool, id)
	if err != nil {
		return err
	}
	balance, err := store.AccountBalanceOn(ctx, a.pool, id, day)
	if err != nil {
		return err
	}
	if err := docs.CheckCertificate(h, balance); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := receipt.RenderCertificate(&b, docs.Certificate(h, balance, day)); err != nil {
		return err
	}
	if err := writeOut(*out, b.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: debt-free certificate of account %s on %s\n", *out, *number, day.Format(time.DateOnly))
	return nil
}

// writeOut writes a finished PDF; nothing is written when rendering failed.
func writeOut(path string, b []byte) error {
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return apperr.Wrap(apperr.Invalid, "write "+path, err)
	}
	return nil
}
