package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestDocumentsCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewURL(t)
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	october := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 20, Months: 2, Seed: 3, Until: october},
		slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		t.Fatal(err)
	}
	// On 20 November the October documents are issued and not yet paid: an account with a positive total owes.
	var debtor string
	if err := pool.QueryRow(ctx, `SELECT a.number FROM payment_documents d JOIN accounts a ON a.id = d.account_id
		WHERE d.period = $1 AND d.total_due > 0 ORDER BY a.number LIMIT 1`, october).Scan(&debtor); err != nil {
		t.Fatal(err)
	}

	env, out := testEnv(map[string]string{"DATABASE_URL": url, "ZHKHGATE_LOG_LEVEL": "error"})
	dir := t.TempDir()
	cli := func(args ...string) (string, int) {
		out.Reset()
		err := run(ctx, env, append([]string{"documents"}, args...))
		if err == nil {
			return out.String(), 0
		}
		var msg bytes.Buffer
		code := report(&msg, err)
		return out.String() + msg.String(), code
	}
	pdf := filepath.Join(dir, "epd.pdf")
	cert := filepath.Join(dir, "cert.pdf")
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
		file     string // written when code is 0, absent otherwise
	}{
		{"render", []string{"render", "--account", debtor, "--period", "2026-10", "--out", pdf}, 0, "total due", pdf},
		{"no document that month", []string{"render", "--account", debtor, "--period", "2026-12", "--out", pdf + "x"}, 1, "no payment document", pdf + "x"},
		{"unknown account", []string{"render", "--account", "99999", "--period", "2026-10", "--out", pdf + "y"}, 1, `no account numbered "99999"`, pdf + "y"},
		{"bad period", []string{"render", "--account", debtor, "--period", "10.2026", "--out", pdf + "z"}, 1, "want YYYY-MM", pdf + "z"},
		{"certificate refused for debt", []string{"certificate", "--account", debtor, "--date", "2026-11-20", "--out", cert}, 1, "задолженность", cert},
		{"bad date", []string{"certificate", "--account", debtor, "--date", "20.11.2026", "--out", cert}, 1, "want YYYY-MM-DD", cert},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, code := cli(tc.args...)
			if code != tc.code || !strings.Contains(got, tc.contains) {
				t.Errorf("exit %d, output %q; want exit %d containing %q", code, got, tc.code, tc.contains)
			}
			b, err := os.ReadFile(tc.file)
			switch {
			case tc.code == 0 && (err != nil || !bytes.HasPrefix(b, []byte("%PDF-"))):
				t.Errorf("%s is not a PDF: %v", tc.file, err)
			case tc.code != 0 && err == nil:
				t.Errorf("%s written although the command failed", tc.file)
			}
		})
	}

	// Paid in full, the same account gets its certificate.
	if _, err := pool.Exec(ctx, `INSERT INTO payments (source, operation_id, operation_date, account_id, amount)
		SELECT 'cashier', 'cli-test', '2026-11-19', a.id, d.total_due - coalesce((SELECT sum(amount) FROM payments
			WHERE account_id = a.id AND operation_date >= '2026-11-01'), 0)
		FROM accounts a JOIN payment_documents d ON d.account_id = a.id AND d.period = $2 WHERE a.number = $1`, debtor, october); err != nil {
		t.Fatal(err)
	}
	got, code := cli("certificate", "--account", debtor, "--date", "2026-11-20", "--out", cert)
	if code != 0 {
		t.Fatalf("certificate after paying: exit %d: %s", code, got)
	}
	if b, err := os.ReadFile(cert); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("certificate is not a PDF: %v", err)
	}
}
