package cabinet_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

func TestDocumentsSection(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	ctx := context.Background()
	ivan, petr := e.browser(), e.browser()
	ivan.esiaLogin(ivanov)
	ivan.postFollow("/accounts/link", e.linkForm(e.hint[0], "surname", e.hint[0].Surname))
	petr.esiaLogin(1000299655)
	res, _ := store.ResidentByEmail(ctx, e.pool, "ivanov@example.org")
	accs, _ := store.ResidentAccounts(ctx, e.pool, res.ID)
	if len(accs) != 1 || accs[0].LastPeriod == nil {
		t.Fatalf("Ivanov's accounts: %+v", accs)
	}
	acc := accs[0]
	id := itoa(acc.AccountID)
	month := acc.LastPeriod.Format("2006-01")
	docURL := "/accounts/" + id + "/documents/" + month + ".pdf"

	page := ivan.follow("/accounts/" + id)
	if !strings.Contains(page.body, `id="documents"`) || !strings.Contains(page.body, `href="`+docURL+`"`) ||
		!strings.Contains(page.body, "Справка об отсутствии задолженности") {
		t.Fatalf("account page lacks the documents section with %s:\n%.2000s", docURL, page.body)
	}

	r := ivan.get(docURL)
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("own document: HTTP %d %.200s", r.status, r.body)
	}
	for _, u := range []string{
		"/accounts/" + id + "/documents/2001-01.pdf", // no document that month
		"/accounts/" + id + "/documents/latest.pdf",  // not a month
	} {
		if r := ivan.get(u); r.status != http.StatusNotFound {
			t.Errorf("GET %s: HTTP %d, want 404", u, r.status)
		}
	}
	// A stored document whose totals do not add up is not drawn: the resident is told it is being checked.
	if _, err := e.pool.Exec(ctx, `UPDATE payment_documents SET total_due = total_due + 1 WHERE account_id = $1 AND period = $2`,
		acc.AccountID, *acc.LastPeriod); err != nil {
		t.Fatal(err)
	}
	if r := ivan.get(docURL); r.status != http.StatusServiceUnavailable || !strings.Contains(r.body, "проверяет начисления") {
		t.Errorf("inconsistent document: HTTP %d %.300s", r.status, r.body)
	}
	if _, err := e.pool.Exec(ctx, `UPDATE payment_documents SET total_due = total_due - 1 WHERE account_id = $1 AND period = $2`,
		acc.AccountID, *acc.LastPeriod); err != nil {
		t.Fatal(err)
	}
	// Another resident gets 404 for both PDFs, as for an account that does not exist.
	for _, u := range []string{docURL, "/accounts/" + id + "/certificate.pdf"} {
		if r := petr.get(u); r.status != http.StatusNotFound || strings.HasPrefix(r.body, "%PDF-") {
			t.Errorf("another resident GET %s: HTTP %d, want 404", u, r.status)
		}
	}

	// The certificate is refused while the account owes, naming the debt, and issued once it is paid.
	bal, err := store.AccountBalanceOn(ctx, e.pool, acc.AccountID, todayUTC())
	if err != nil {
		t.Fatal(err)
	}
	if bal <= 0 {
		if _, err := e.pool.Exec(ctx, `UPDATE payment_documents SET total_due = total_due + 50000, penalties = penalties + 50000
			WHERE account_id = $1 AND period = $2`, acc.AccountID, *acc.LastPeriod); err != nil {
			t.Fatal(err)
		}
		bal += 50000
	}
	r = ivan.get("/accounts/" + id + "/certificate.pdf")
	if r.status != http.StatusConflict || !strings.Contains(r.body, "справка не может быть выдана: задолженность") ||
		!strings.Contains(r.body, acc.Number) {
		t.Fatalf("certificate with a debt: HTTP %d\n%.1500s", r.status, r.body)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO payments (source, operation_id, operation_date, account_id, amount)
		VALUES ('cashier', 'cabinet-test', $1, $2, $3)`, todayUTC(), acc.AccountID, bal); err != nil {
		t.Fatal(err)
	}
	r = ivan.get("/accounts/" + id + "/certificate.pdf")
	if r.status != http.StatusOK || !strings.HasPrefix(r.body, "%PDF-") {
		t.Fatalf("certificate without debt: HTTP %d %.300s", r.status, r.body)
	}
}

// todayUTC is the day the cabinet states balances for (it runs on the real clock here).
func todayUTC() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }
