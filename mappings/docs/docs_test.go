package docs_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/money"
	"github.com/zhkhgate/zhkhgate/internal/payqr"
	"github.com/zhkhgate/zhkhgate/internal/receipt"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/mappings/docs"
)

// keep writes the rendered demo receipt and its first page under dir for a look.
var keep = flag.String("keep", "", "write the rendered demo receipt's PDF and page PNG into this directory")

var october = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

func loadDemo(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool := testdb.New(t)
	opts := demo.Options{Accounts: 30, Months: 3, Seed: 7, Until: october}
	if _, err := demo.Load(context.Background(), pool, opts, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	return pool
}

func tool(t *testing.T, name string, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Fatalf("%s not found: install poppler-utils (.ci/deps test)", name)
	}
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return out
}

func TestDemoDocumentRendersWithQR(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadDemo(t)
	number := demo.AccountNumber(3)
	id, err := store.AccountIDByNumber(ctx, pool, number)
	if err != nil {
		t.Fatal(err)
	}
	data, err := store.DocumentForPDF(ctx, pool, id, october)
	if err != nil {
		t.Fatal(err)
	}
	if len(data.Lines) != 9 || len(data.Meters) == 0 {
		t.Fatalf("%d lines and %d meters, want 9 and some", len(data.Lines), len(data.Meters))
	}
	doc, err := docs.Document(data)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := receipt.Render(&b, doc); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if *keep != "" {
		dir = *keep
	}
	pdf := filepath.Join(dir, "demo-receipt.pdf")
	if err := os.WriteFile(pdf, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(tool(t, "pdftotext", "-layout", pdf, "-")), "\u00a0", " ")), " ")
	total := strings.ReplaceAll(money.Rubles(data.Document.TotalDue), "\u00a0", " ")
	for _, want := range []string{number, "Итого к оплате: " + total, "компания «Жилкомфорт»", "5902123458", "045773603",
		"40702810049770012345"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q", want)
		}
	}

	tool(t, "pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", pdf, filepath.Join(dir, "demo-receipt"))
	f, err := os.Open(filepath.Join(dir, "demo-receipt-1.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8", gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode the QR code from page 1: %v", err)
	}
	p, devs, err := payqr.Decode([]byte(res.GetText()))
	if err != nil || len(devs) != 0 {
		t.Fatalf("QR payload %q: %v, deviations %v", res.GetText(), err, devs)
	}
	if p.Sum != max(data.Document.TotalDue, 0) || p.PersAcc != number || p.PaymPeriod != "102026" ||
		p.BIC != "045773603" || p.PersonalAcc != "40702810049770012345" || p.TechCode != "02" {
		t.Errorf("QR payment = %+v, want Sum %d PersAcc %s for 10.2026", p, data.Document.TotalDue, number)
	}
}

func TestInconsistentTotalsNameTheAccount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadDemo(t)
	number := demo.AccountNumber(5)
	id, err := store.AccountIDByNumber(ctx, pool, number)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, sql, field string }{
		{"total", `UPDATE payment_documents SET total_due = total_due + 1 WHERE account_id = $1 AND period = $2`, "totals.total_to_pay"},
		{"charged", `UPDATE payment_documents SET charged = charged + 100, total_due = total_due + 100 WHERE account_id = $1 AND period = $2`, "totals.charged"},
		// A payee without bank details (a database loaded before they existed) cannot be paid.
		{"bank", `UPDATE organizations SET bik = NULL, settlement_account = NULL WHERE id = (SELECT org_id FROM accounts WHERE id = $1) AND $2::date IS NOT NULL`, "bank details"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tx, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, tc.sql, id, october); err != nil {
				t.Fatal(err)
			}
			data, err := store.DocumentForPDF(ctx, tx, id, october)
			if err != nil {
				t.Fatal(err)
			}
			_, err = docs.Document(data)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), number) ||
				!strings.Contains(err.Error(), "2026-10") || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("err = %v, want Invalid naming account %s, 2026-10 and %s", err, number, tc.field)
			}
		})
	}
	if _, err := store.DocumentForPDF(ctx, pool, id, october.AddDate(0, 1, 0)); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("a month without a document: err = %v, want NotFound", err)
	}
}

func TestCertificateRefusedWithDebt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := loadDemo(t)
	day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	var debtor, clean int64
	// Demo documents are paid in the next month; on the 20th of November the October document is unpaid.
	err := pool.QueryRow(ctx, `SELECT min(account_id) FROM payment_documents WHERE period = $1 AND total_due > 0`, october).Scan(&debtor)
	if err != nil {
		t.Fatal(err)
	}
	h, err := store.AccountDocumentHeader(ctx, pool, debtor)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := store.AccountBalanceOn(ctx, pool, debtor, day)
	if err != nil {
		t.Fatal(err)
	}
	if bal <= 0 {
		t.Fatalf("balance of the debtor = %d", bal)
	}
	err = docs.CheckCertificate(h, bal)
	if !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), money.Rubles(bal)+" ₽") {
		t.Errorf("debtor: err = %v, want Conflict naming %s ₽", err, money.Rubles(bal))
	}
	if err := receipt.RenderCertificate(io.Discard, docs.Certificate(h, bal, day)); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("render for a debtor: err = %v, want Conflict", err)
	}

	// Paying the debt in full makes the certificate available.
	if _, err := pool.Exec(ctx, `INSERT INTO payments (source, operation_id, operation_date, account_id, amount)
		VALUES ('cashier', 'test-1', $1, $2, $3)`, day.AddDate(0, 0, -1), debtor, bal); err != nil {
		t.Fatal(err)
	}
	clean = debtor
	bal, err = store.AccountBalanceOn(ctx, pool, clean, day)
	if err != nil || bal != 0 {
		t.Fatalf("balance after paying = %d, %v", bal, err)
	}
	if err := docs.CheckCertificate(h, bal); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := receipt.RenderCertificate(&b, docs.Certificate(h, bal, day)); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Errorf("certificate is not a PDF")
	}
	if *keep != "" {
		if err := os.WriteFile(filepath.Join(*keep, "demo-certificate.pdf"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestQuantity(t *testing.T) {
	h := model.AccountHeader{Number: "1", Area: "54.50", Address: "a", PayerName: "p"}
	for _, tc := range []struct{ in, want string }{{"54.50", "54.5"}, {"54.00", "54"}, {"12", "12"}, {"", ""}} {
		h.Area = tc.in
		if got := docs.Certificate(h, 0, october).Area; string(got) != tc.want {
			t.Errorf("area %q printed as %q, want %q", tc.in, got, tc.want)
		}
	}
}
