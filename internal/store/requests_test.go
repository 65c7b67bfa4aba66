package store_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// requestWorld is a demo center with two residents, each linked to one account, and a staff user.
type requestWorld struct {
	db             *pgxpool.Pool
	alice, bob     int64 // residents
	accA, accB     int64 // their accounts
	staff, disable int64
}

func newRequestWorld(t *testing.T) requestWorld {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, db, demo.Options{Accounts: 4, Months: 2}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	w := requestWorld{db: db}
	var err error
	if w.alice, err = store.CreateLocalResident(ctx, db, store.NewLocalResident{Email: "alice@example.org", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if w.bob, err = store.CreateLocalResident(ctx, db, store.NewLocalResident{Email: "bob@example.org", PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(ctx, `SELECT min(id), max(id) FROM accounts`).Scan(&w.accA, &w.accB); err != nil {
		t.Fatal(err)
	}
	if err := store.LinkAccount(ctx, db, w.alice, w.accA); err != nil {
		t.Fatal(err)
	}
	if err := store.LinkAccount(ctx, db, w.bob, w.accB); err != nil {
		t.Fatal(err)
	}
	if w.staff, err = store.CreateStaffUser(ctx, db, store.StaffUser{Login: "oper", PasswordHash: "h", Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	if w.disable, err = store.CreateStaffUser(ctx, db, store.StaffUser{Login: "gone", PasswordHash: "h", Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE staff_users SET disabled_at = now() WHERE id = $1`, w.disable); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestRequestLifecycle(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := context.Background()
	now := time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC)
	png := []byte("\x89PNG\r\n\x1a\nrest")
	id, err := store.CreateRequest(ctx, w.db, store.NewRequest{ResidentID: w.alice, AccountID: w.accA, Kind: store.RequestEmergency,
		Subject: "Течёт труба", Body: "В подвале 100% вода", Attachments: []store.NewAttachment{{FileName: "a.png", ContentType: "image/png", Data: png}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	// Bob's account is not Alice's.
	if _, err := store.CreateRequest(ctx, w.db, store.NewRequest{ResidentID: w.alice, AccountID: w.accB, Kind: store.RequestAppeal, Subject: "x"}, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("request on another's account: %v", err)
	}
	for _, bad := range []store.NewRequest{
		{ResidentID: w.alice, AccountID: w.accA, Kind: "repair", Subject: "x"},
		{ResidentID: w.alice, AccountID: w.accA, Kind: store.RequestAppeal, Subject: " "},
		{ResidentID: w.alice, AccountID: w.accA, Kind: store.RequestAppeal, Subject: "x", Body: strings.Repeat("я", store.MaxRequestBody+1)},
		{ResidentID: w.alice, AccountID: w.accA, Kind: store.RequestAppeal, Subject: "x", Attachments: make([]store.NewAttachment, store.MaxRequestAttachments+1)},
	} {
		if _, err := store.CreateRequest(ctx, w.db, bad, now); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("CreateRequest(%+v) = %v, want Invalid", bad.Kind, err)
		}
	}
	r, err := store.ResidentRequest(ctx, w.db, w.alice, id, now)
	if err != nil || r.State != store.RequestNew || r.Attachments != 1 || r.Overdue || !r.DueAt.Equal(now.Add(24*time.Hour)) {
		t.Fatalf("request = %+v, %v", r, err)
	}
	if _, err := store.ResidentRequest(ctx, w.db, w.bob, id, now); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Bob reads Alice's request: %v", err)
	}
	atts, _ := store.RequestAttachments(ctx, w.db, id)
	if len(atts) != 1 {
		t.Fatalf("attachments = %+v", atts)
	}
	if _, err := store.ResidentAttachment(ctx, w.db, w.bob, id, atts[0].ID); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Bob reads Alice's photo: %v", err)
	}
	if a, err := store.ResidentAttachment(ctx, w.db, w.alice, id, atts[0].ID); err != nil || string(a.Data) != string(png) {
		t.Errorf("Alice's photo = %v", err)
	}
	// Overdue a day later; the filter finds it.
	later := now.Add(25 * time.Hour)
	if list, err := store.StaffRequests(ctx, w.db, store.RequestFilter{Overdue: true}, later); err != nil || len(list) != 1 || !list[0].Overdue {
		t.Errorf("overdue list = %+v, %v", list, err)
	}
	if list, _ := store.StaffRequests(ctx, w.db, store.RequestFilter{Kind: store.RequestComplaint}, later); len(list) != 0 {
		t.Errorf("complaints = %+v", list)
	}
	if err := store.AssignRequest(ctx, w.db, id, w.staff, w.disable, later); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("assign to a disabled user: %v", err)
	}
	if err := store.AssignRequest(ctx, w.db, 99999, w.staff, w.staff, later); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("assign a missing request: %v", err)
	}
	if err := store.AssignRequest(ctx, w.db, id, w.staff, w.staff, later); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		u    store.UpdateRequest
		kind apperr.Kind
	}{
		{store.UpdateRequest{State: store.RequestInProgress, Answer: "Мастер выехал"}, 0},
		{store.UpdateRequest{}, apperr.Invalid},
		{store.UpdateRequest{State: store.RequestNew}, apperr.Invalid},
		{store.UpdateRequest{State: store.RequestDone}, 0},
		{store.UpdateRequest{State: store.RequestInProgress}, apperr.Conflict},
		{store.UpdateRequest{Answer: "Ещё 50% работ завтра"}, 0},
	}
	for i, s := range steps {
		s.u.RequestID, s.u.StaffID = id, w.staff
		err := store.UpdateRequestState(ctx, w.db, s.u, later.Add(time.Duration(i)*time.Minute))
		if (s.kind == 0) != (err == nil) || (err != nil && !apperr.Is(err, s.kind)) {
			t.Errorf("step %d %+v = %v", i, s.u, err)
		}
	}
	tl, err := store.RequestTimeline(ctx, w.db, id)
	if err != nil || len(tl) != 5 || tl[1].AssignedLogin != "oper" || tl[2].Answer != "Мастер выехал" || *tl[3].State != store.RequestDone {
		t.Fatalf("timeline = %+v, %v", tl, err)
	}
	notes, _ := store.ResidentNotifications(ctx, w.db, w.alice, 50)
	if len(notes) != 4 {
		t.Fatalf("Alice's notifications = %d, want created + 3 updates", len(notes))
	}
	if notes[0].Body != "По заявке № "+itoa(id)+" «Течёт труба» ответили: Ещё 50% работ завтра" || notes[0].RequestID == nil {
		t.Errorf("newest notification = %+v", notes[0])
	}
	if n, _ := store.UnreadNotifications(ctx, w.db, w.alice); n != 4 {
		t.Errorf("unread = %d", n)
	}
	if err := store.MarkNotificationRead(ctx, w.db, w.bob, notes[0].ID, later); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("Bob marks Alice's notification: %v", err)
	}
	if err := store.MarkNotificationRead(ctx, w.db, w.alice, notes[0].ID, later); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.UnreadNotifications(ctx, w.db, w.alice); n != 3 {
		t.Errorf("unread after one read = %d", n)
	}
	r, _ = store.StaffRequest(ctx, w.db, id, later.Add(time.Hour))
	if r.State != store.RequestDone || r.ClosedAt == nil || r.Overdue || r.AssignedLogin != "oper" {
		t.Errorf("closed request = %+v", r)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestNotificationSettingsBroadcastAndEmail(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := context.Background()
	if err := store.SetNotificationSettings(ctx, w.db, w.alice, w.accB, []store.NotificationKind{store.NotifyBroadcast}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("settings on another's account: %v", err)
	}
	if err := store.SetNotificationSettings(ctx, w.db, w.alice, w.accA, []store.NotificationKind{"spam"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown kind: %v", err)
	}
	if err := store.SetNotificationSettings(ctx, w.db, w.alice, w.accA, []store.NotificationKind{store.NotifyBroadcast, store.NotifyRequest}); err != nil {
		t.Fatal(err)
	}
	set, err := store.NotificationSettings(ctx, w.db, w.alice, w.accA)
	if err != nil || len(set) != 2 || !set[store.NotifyBroadcast] {
		t.Fatalf("settings = %v, %v", set, err)
	}
	var houseA int64
	if err := w.db.QueryRow(ctx, `SELECT p.house_id FROM accounts a JOIN premises p ON p.id = a.premises_id WHERE a.id = $1`, w.accA).Scan(&houseA); err != nil {
		t.Fatal(err)
	}
	_, n, err := store.PostBroadcast(ctx, w.db, store.Broadcast{StaffID: w.staff, Scope: store.ScopeAll, Subject: "Отключение воды", Body: "Завтра"})
	if err != nil || n != 2 {
		t.Fatalf("broadcast to all = %d, %v", n, err)
	}
	if _, _, err := store.PostBroadcast(ctx, w.db, store.Broadcast{StaffID: w.staff, Scope: store.ScopeHouse, Subject: "x"}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("house broadcast without a house: %v", err)
	}
	missing := int64(999999)
	if _, _, err := store.PostBroadcast(ctx, w.db, store.Broadcast{StaffID: w.staff, Scope: store.ScopeHouse, HouseID: &missing, Subject: "x"}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("broadcast to a missing house: %v", err)
	}
	// Only Alice asked for broadcasts by e-mail.
	var mails int
	w.db.QueryRow(ctx, `SELECT count(*) FROM notification_emails`).Scan(&mails)
	if mails != 1 {
		t.Errorf("queued e-mails = %d, want 1", mails)
	}
	now := time.Now()
	d, ok, err := store.ClaimEmailDelivery(ctx, w.db, now)
	if err != nil || !ok || d.Email != "alice@example.org" || d.Subject != "Отключение воды" || d.Attempts != 1 {
		t.Fatalf("claim = %+v %v %v", d, ok, err)
	}
	if _, ok, _ := store.ClaimEmailDelivery(ctx, w.db, now); ok {
		t.Error("a claimed delivery was claimed again")
	}
	if err := store.RecordEmailFailed(ctx, w.db, d.NotificationID, "smtp down", now.Add(time.Minute), false); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := store.ClaimEmailDelivery(ctx, w.db, now); ok {
		t.Error("a failed delivery was claimed before its next attempt")
	}
	if d2, ok, _ := store.ClaimEmailDelivery(ctx, w.db, now.Add(time.Minute)); !ok || d2.Attempts != 2 {
		t.Errorf("retry claim = %+v %v", d2, ok)
	}
	list, err := store.RecentBroadcasts(ctx, w.db, 10)
	if err != nil || len(list) != 1 || list[0].Recipients != 2 || list[0].StaffLogin != "oper" {
		t.Errorf("broadcasts = %+v, %v", list, err)
	}
}

func TestDueNoticesAreIdempotent(t *testing.T) {
	t.Parallel()
	w := newRequestWorld(t)
	ctx := context.Background()
	// A bill for September 2026 issued on 2 October, due 15 October; a meter due for verification.
	if _, err := w.db.Exec(ctx, `DELETE FROM payment_documents WHERE account_id = $1 AND period >= '2026-09-01'`, w.accA); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(ctx, `
		INSERT INTO payment_documents (account_id, period, number, total_due, state, created_at)
		VALUES ($1, '2026-09-01', 'T-1', 123456, 'ready', '2026-10-02 10:00Z')`, w.accA); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(ctx, `UPDATE meters SET next_verification_on = '2026-11-01' WHERE account_id = $1`, w.accA); err != nil {
		t.Fatal(err)
	}
	run := func(day time.Time) map[store.NotificationKind]int {
		t.Helper()
		got, err := store.DueNotices(ctx, w.db, day)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	oct12 := time.Date(2026, 10, 12, 6, 0, 0, 0, time.UTC)
	first := run(oct12)
	if first[store.NotifyDocument] != 1 || first[store.NotifyDueSoon] != 1 || first[store.NotifyVerification] < 1 || first[store.NotifyReadingWindow] != 0 {
		t.Errorf("first run on 12.10 = %v", first)
	}
	if again := run(oct12.Add(time.Hour)); again[store.NotifyDocument]+again[store.NotifyDueSoon]+again[store.NotifyVerification] != 0 {
		t.Errorf("rerun wrote %v", again)
	}
	oct15 := time.Date(2026, 10, 15, 6, 0, 0, 0, time.UTC)
	if got := run(oct15); got[store.NotifyReadingWindow] != 1 || got[store.NotifyDueSoon] != 0 {
		t.Errorf("15.10 = %v", got)
	}
	if got := run(oct15.Add(24 * time.Hour)); got[store.NotifyReadingWindow] != 0 {
		t.Errorf("16.10 wrote the window again: %v", got)
	}
	if got := run(time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC)); got[store.NotifyReadingWindow] != 1 {
		t.Errorf("next month's window = %v", got)
	}
	// Each organization's own window: 1st–5th here, so the 3rd is in it and the 15th is not.
	if _, err := w.db.Exec(ctx, `UPDATE organizations SET reading_window_from = 1, reading_window_to = 5`); err != nil {
		t.Fatal(err)
	}
	if got := run(time.Date(2026, 12, 15, 6, 0, 0, 0, time.UTC)); got[store.NotifyReadingWindow] != 0 {
		t.Errorf("15.12 outside the organization's 1–5 window wrote %v", got)
	}
	if got := run(time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)); got[store.NotifyReadingWindow] != 1 {
		t.Errorf("3.12 inside the organization's 1–5 window = %v", got)
	}
	var body string
	w.db.QueryRow(ctx, `SELECT body FROM notifications WHERE kind = 'due_soon'`).Scan(&body)
	if !strings.Contains(body, "до 15.10.2026") || !strings.Contains(body, "1234,56 ₽") {
		t.Errorf("due notice = %q", body)
	}
}
