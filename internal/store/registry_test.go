package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// registryFixture creates one organization with accounts 1002003004 (with
// meter 101), 1002003005 and 1002003117 (closed on 01.03.2025), and a
// staff user; it returns the staff user's id.
func registryFixture(t *testing.T, db *pgxpool.Pool) int64 {
	t.Helper()
	ctx := context.Background()
	var staff int64
	err := db.QueryRow(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('РЦ Тестоград', '7720999999', 'settlement') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'г. Тестоград, ул. Примерная, д. 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, n FROM h, unnest(ARRAY['12', '13', '3']) n RETURNING id, number),
		a AS (INSERT INTO accounts (org_id, premises_id, number, opened_on, closed_on)
		      SELECT (SELECT org_id FROM h), p.id, v.acct, '2020-01-01', v.closed
		      FROM p JOIN (VALUES ('12', '1002003004', NULL::date), ('13', '1002003005', NULL), ('3', '1002003117', '2025-03-01'))
		           v(prem, acct, closed) ON v.prem = p.number RETURNING id, premises_id, number),
		m AS (INSERT INTO meters (premises_id, account_id, number, resource) SELECT premises_id, id, '101', 'cold_water' FROM a WHERE number = '1002003004')
		INSERT INTO staff_users (login, password_hash) VALUES ('operator', 'x') RETURNING id`).Scan(&staff)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return staff
}

func storeFile(t *testing.T, db *pgxpool.Pool, name string, content []byte) int64 {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(content)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	id, err := store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: sum[:], FileName: name, SizeBytes: int64(len(content)), Intake: store.IntakeCLI}, bytes.NewReader(content))
	if err != nil {
		t.Fatalf("CreateRegistry: %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestRegistryContentRoundTrip(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB: four chunks
	id := storeFile(t, db, "big.txt", content)
	got, err := io.ReadAll(store.RegistryContent(ctx, db, id))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("read back %d bytes, %v; want %d", len(got), err, len(content))
	}
	sum := sha256.Sum256(content)
	r, found, err := store.RegistryBySHA256(ctx, db, sum[:])
	if err != nil || !found || r.ID != id || r.State != store.RegistryReceived || r.SizeBytes != int64(len(content)) {
		t.Fatalf("RegistryBySHA256 = %+v, %v, %v", r, found, err)
	}

	// The same bytes again are a conflict; the transaction stays usable.
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	_, err = store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: sum[:], FileName: "again.txt", SizeBytes: int64(len(content)), Intake: store.IntakeCLI}, bytes.NewReader(content))
	if !errors.Is(err, store.ErrDuplicateFile) || apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("second CreateRegistry = %v", err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatalf("transaction broken after conflict: %v", err)
	}
	// A file that changed between hashing and storing is refused.
	other := sha256.Sum256([]byte("other"))
	_, err = store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: other[:], FileName: "changed.txt", SizeBytes: int64(len(content)), Intake: store.IntakeCLI}, bytes.NewReader(content))
	if apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "changed while") {
		t.Fatalf("changed file = %v", err)
	}
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func row(line int, opID, account string, amount int64) *store.StagedRow {
	return &store.StagedRow{Line: line, Raw: "raw " + opID, OperationID: opID, OperationDate: day(2025, 3, 15),
		PaidAt: time.Date(2025, 3, 15, 9, 41, 17, 0, time.FixedZone("MSK", 3*3600)), AccountNumber: account,
		Period: day(2025, 2, 1), Amount: amount, Commission: amount / 100, PayerName: "ИВАНОВ"}
}

func post(t *testing.T, db *pgxpool.Pool, id int64, rows ...*store.StagedRow) store.PostResult {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	i := 0
	st, err := store.StageRegistryRows(ctx, tx, func() (*store.StagedRow, error) {
		if i == len(rows) {
			return nil, nil
		}
		i++
		return rows[i-1], nil
	})
	if err != nil || st.Rows != len(rows) {
		t.Fatalf("stage: %+v, %v", st, err)
	}
	res, err := store.PostStagedRegistry(ctx, tx, id, "sberbank", nil, st)
	if err != nil {
		t.Fatalf("post: %v", err)
	}
	if err := store.FinishRegistry(ctx, tx, id, store.RegistryOutcome{State: store.RegistryAccepted, Bank: "sberbank", Posted: res}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestPostStagedRegistry(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	staff := registryFixture(t, db)
	id1 := storeFile(t, db, "a.txt", []byte("a"))

	withMeter := row(1, "op1", "1002003004", 451237)
	withMeter.MeterCodes, withMeter.MeterValues = []string{"101", "999"}, []string{"345.120", "1"}
	warned := row(2, "op2", "1002003005", 120000)
	warned.Warning = "amount 1200,00 ≠ to transfer 1100,00 + commission 12,00"
	invalid := &store.StagedRow{Line: 3, Raw: "31-02-2025;…", Problem: `field date "31-02-2025": day out of range`}
	res := post(t, db, id1,
		withMeter, warned, invalid,
		row(4, "op4", "9999999999", 100),    // unknown account
		row(5, "op5", "1002003117", 100),    // closed before the payment
		row(6, "op1", "1002003004", 451237), // the same operation twice in one file
	)
	want := store.PostResult{Posted: 2, Duplicates: 1, Quarantined: 3, Warned: 1, Readings: 1}
	if res != want {
		t.Fatalf("first post = %+v, want %+v", res, want)
	}
	issues, err := store.ListRegistryIssues(ctx, db, store.IssueFilter{RegistryID: id1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range issues {
		got = append(got, i.Kind+"/"+i.State+": "+i.Reason)
	}
	wantIssues := []string{
		`warning/info: meter '999': no such meter for account 1002003004; reading 1 not recorded`,
		`warning/info: amount 1200,00 ≠ to transfer 1100,00 + commission 12,00`,
		`invalid/open: field date "31-02-2025": day out of range`,
		`unknown_account/open: field account '9999999999': no such account`,
		`closed_account/open: field account '1002003117': the account was closed before the payment date`,
		`duplicate/open: operation op1 of 15.03.2025 was already posted (payment `,
	}
	if len(got) != len(wantIssues) {
		t.Fatalf("issues:\n%s", strings.Join(got, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantIssues[i]) {
			t.Errorf("issue %d = %q, want %q", i, got[i], wantIssues[i])
		}
	}
	var value string
	if err := db.QueryRow(ctx, `SELECT value::text FROM readings WHERE source = 'bank'`).Scan(&value); err != nil || value != "345.1200" {
		t.Errorf("reading = %q, %v", value, err)
	}

	// A second file with an operation already posted: flagged, not posted twice.
	id2 := storeFile(t, db, "b.txt", []byte("b"))
	res = post(t, db, id2, row(1, "op2", "1002003005", 120000), row(2, "op7", "1002003005", 5000))
	if res != (store.PostResult{Posted: 1, Duplicates: 1}) {
		t.Fatalf("second post = %+v", res)
	}
	var payments int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM payments`).Scan(&payments); err != nil || payments != 3 {
		t.Fatalf("payments = %d, %v", payments, err)
	}

	// A file whose valid lines all post takes the short path: only its
	// invalid lines and warnings become issues.
	id3 := storeFile(t, db, "c.txt", []byte("c"))
	w3 := row(1, "op8", "1002003004", 300)
	w3.Warning = "a warning"
	w3.MeterCodes, w3.MeterValues = []string{"101"}, []string{"346"}
	res = post(t, db, id3, w3, &store.StagedRow{Line: 2, Raw: "x", Problem: "field amount: negative amount"})
	if res != (store.PostResult{Posted: 1, Quarantined: 1, Warned: 1, Readings: 0}) {
		t.Fatalf("third post = %+v", res)
	}
	short, err := store.ListRegistryIssues(ctx, db, store.IssueFilter{RegistryID: id3})
	if err != nil || len(short) != 2 || short[0].Kind != store.IssueWarning || short[1].Kind != store.IssueInvalid || short[1].Raw != "x" {
		t.Fatalf("third file issues = %+v, %v", short, err)
	}

	// Quarantine: fix the unknown account, re-apply; discard the invalid line.
	byKind := map[string]store.RegistryIssue{}
	for _, i := range issues {
		byKind[i.Kind] = i
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := store.ApplyRegistryIssue(ctx, tx, byKind[store.IssueUnknownAccount].ID, staff, "0000000000", ""); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("apply with another unknown account = %v", err)
	}
	pid, err := store.ApplyRegistryIssue(ctx, tx, byKind[store.IssueUnknownAccount].ID, staff, "1002003005", "7720999999")
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if _, err := store.ApplyRegistryIssue(ctx, tx, byKind[store.IssueUnknownAccount].ID, staff, "", ""); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("apply twice = %v", err)
	}
	if _, err := store.ApplyRegistryIssue(ctx, tx, byKind[store.IssueInvalid].ID, staff, "1002003005", ""); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("apply an unreadable line = %v", err)
	}
	if err := store.DiscardRegistryIssue(ctx, tx, byKind[store.IssueInvalid].ID, staff, " "); apperr.KindOf(err) != apperr.Invalid {
		t.Fatalf("discard without reason = %v", err)
	}
	if err := store.DiscardRegistryIssue(ctx, tx, byKind[store.IssueInvalid].ID, staff, "bank re-sent it"); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	fixed, err := store.GetRegistryIssue(ctx, db, byKind[store.IssueUnknownAccount].ID)
	if err != nil || fixed.State != store.IssueApplied || *fixed.PaymentID != pid || fixed.Resolution != "account corrected from 9999999999" {
		t.Errorf("fixed issue = %+v, %v", fixed, err)
	}
	reg, err := store.GetRegistry(ctx, db, id1)
	if err != nil || reg.RowsPosted != 3 || reg.OpenIssues != 2 {
		t.Errorf("registry after fixes: posted %d, open %d, %v", reg.RowsPosted, reg.OpenIssues, err)
	}
}

func TestReconcile(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	registryFixture(t, db)
	mk := func(name, order string, transfer int64) int64 {
		id := storeFile(t, db, name, []byte(name))
		d := day(2025, 3, 16)
		if _, err := db.Exec(ctx, `UPDATE registries SET state = 'accepted', order_number = $2, order_date = $3, declared_transfer = $4 WHERE id = $1`, id, order, d, transfer); err != nil {
			t.Fatal(err)
		}
		return id
	}
	matched := mk("r1", "551234", 836300)
	wrongAmount := mk("r2", "551235", 100000)
	noMoney := mk("r3", "551236", 5000)
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	doc := func(line int, number string, amount int64, incoming bool) store.StatementDocument {
		return store.StatementDocument{Line: line, Kind: "Платежное поручение", Number: number, Date: day(2025, 3, 16), Amount: amount, Incoming: incoming}
	}
	sum := sha256.Sum256([]byte("statement"))
	if _, err := store.CreateStatement(ctx, tx, store.NewStatement{SHA256: sum[:], FileName: "st.txt", Version: "1.03", Encoding: "cp1251", Content: []byte("statement"),
		Documents: []store.StatementDocument{doc(10, "551234", 836300, true), doc(30, "551235", 99999, true), doc(50, "77", 1000, true), doc(70, "551236", 5000, false)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreateStatement(ctx, tx, store.NewStatement{SHA256: sum[:], FileName: "again.txt", Content: []byte("statement")}); !errors.Is(err, store.ErrDuplicateStatement) {
		t.Fatalf("statement twice = %v", err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := store.Reconcile(ctx, db)
	if err != nil || n != 1 {
		t.Fatalf("Reconcile = %d, %v", n, err)
	}
	if n, err := store.Reconcile(ctx, db); err != nil || n != 0 {
		t.Fatalf("second Reconcile = %d, %v", n, err)
	}
	rep, err := store.LoadReconciliation(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	status := map[int64]string{}
	for _, l := range rep.Registries {
		status[l.Registry.ID] = l.Status
	}
	if status[matched] != store.ReconReconciled || status[wrongAmount] != store.ReconAmountMismatch || status[noMoney] != store.ReconNoMoney {
		t.Errorf("statuses = %v", status)
	}
	if len(rep.Unmatched) != 2 {
		t.Errorf("unmatched money = %+v", rep.Unmatched)
	}
}

// TestApplyAmbiguousAccount: a number two organizations share is
// quarantined as ambiguous; the operator posts it by naming the INN.
func TestApplyAmbiguousAccount(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	staff := registryFixture(t, db)
	if _, err := db.Exec(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role) VALUES ('УК', '7720000003', 'management') RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Другая, 2', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, '1' FROM h RETURNING id)
		INSERT INTO accounts (org_id, premises_id, number, opened_on) SELECT (SELECT org_id FROM h), p.id, '1002003005', '2020-01-01' FROM p`); err != nil {
		t.Fatal(err)
	}
	id := storeFile(t, db, "a.txt", []byte("a"))
	if res := post(t, db, id, row(1, "op1", "1002003005", 100)); res != (store.PostResult{Quarantined: 1}) {
		t.Fatalf("post = %+v", res)
	}
	issues, err := store.ListRegistryIssues(ctx, db, store.IssueFilter{RegistryID: id})
	if err != nil || len(issues) != 1 || issues[0].Kind != store.IssueAmbiguousAccount {
		t.Fatalf("issues = %+v, %v", issues, err)
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := store.ApplyRegistryIssue(ctx, tx, issues[0].ID, staff, "", ""); apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "give the organization's INN") {
		t.Fatalf("apply without INN = %v", err)
	}
	pid, err := store.ApplyRegistryIssue(ctx, tx, issues[0].ID, staff, "", "7720000003")
	if err != nil {
		t.Fatal(err)
	}
	var inn string
	if err := tx.QueryRow(ctx, `SELECT o.inn FROM payments p JOIN accounts a ON a.id = p.account_id JOIN organizations o ON o.id = a.org_id WHERE p.id = $1`, pid).Scan(&inn); err != nil || inn != "7720000003" {
		t.Errorf("posted to %s, %v", inn, err)
	}
}
