package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// TestRequestConsoleByRole works a resident's request from the console as an operator and as
// an administrator: list with filters, page, photo, assignment, state and answer (each notifying
// the resident); notices to a house for both, to everyone for the administrator only.
func TestRequestConsoleByRole(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	if _, err := demo.Load(ctx, b.pool, demo.Options{Accounts: 3, Months: 1}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	hash, _ := HashPassword("correct horse")
	operID, err := store.CreateStaffUser(ctx, b.pool, store.StaffUser{Login: "oper", PasswordHash: hash, Role: "operator"})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := store.CreateLocalResident(ctx, b.pool, store.NewLocalResident{Email: "r@example.org", PasswordHash: "h"})
	var acc, house int64
	b.pool.QueryRow(ctx, `SELECT a.id, p.house_id FROM accounts a JOIN premises p ON p.id = a.premises_id ORDER BY a.id LIMIT 1`).Scan(&acc, &house)
	if err := store.LinkAccount(ctx, b.pool, res, acc); err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\n<html><script>alert(1)</script>")
	newRequest := func() int64 {
		id, err := store.CreateRequest(ctx, b.pool, store.NewRequest{ResidentID: res, AccountID: acc, Kind: store.RequestComplaint,
			Subject: "Шумят <b>соседи</b>", Attachments: []store.NewAttachment{{FileName: "x.png", ContentType: "image/png", Data: png}}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	for role, c := range map[string]*testBundle{"admin": b.loginAs(t, "admin"), "operator": b.loginAs(t, "oper")} {
		id := newRequest()
		path := "/admin/requests/" + strconv.FormatInt(id, 10)
		var att int64
		b.pool.QueryRow(ctx, `SELECT id FROM request_attachments WHERE request_id = $1`, id).Scan(&att)
		if code, body := c.get(t, "/admin/requests?kind=complaint&state=new"); code != 200 || !strings.Contains(body, path) || strings.Contains(body, "<b>соседи</b>") {
			t.Errorf("%s: list %d", role, code)
		}
		if _, body := c.get(t, "/admin/requests?kind=emergency"); strings.Contains(body, path) {
			t.Errorf("%s: category filter ignored", role)
		}
		if _, body := c.get(t, "/admin/requests?overdue=1"); strings.Contains(body, path) {
			t.Errorf("%s: a fresh request listed overdue", role)
		}
		code, body := c.get(t, path)
		if code != 200 || !strings.Contains(body, "Шумят &lt;b&gt;соседи&lt;/b&gt;") {
			t.Fatalf("%s: request page %d", role, code)
		}
		token := csrfRe.FindStringSubmatch(body)[1]
		resp, err := c.client.Get(c.srv.URL + path + "/attachments/" + strconv.FormatInt(att, 10))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(data) != string(png) || resp.Header.Get("Content-Type") != "image/png" ||
			resp.Header.Get("Content-Disposition") != `inline; filename=x.png` || resp.Header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: attachment %d %v", role, resp.StatusCode, resp.Header)
		}
		// An attachment under another request's id, and ids that do not exist: 404.
		for _, p := range []string{"/admin/requests/" + strconv.FormatInt(id+1000, 10) + "/attachments/" + strconv.FormatInt(att, 10),
			"/admin/requests/999999", "/admin/requests/x"} {
			if code, _ := c.get(t, p); code != http.StatusNotFound {
				t.Errorf("%s: GET %s = %d, want 404", role, p, code)
			}
		}
		if code, _ := c.post(t, path+"/assign", url.Values{"csrf_token": {token}, "staff": {strconv.FormatInt(operID, 10)}}); code != 200 {
			t.Errorf("%s: assign %d", role, code)
		}
		code, body = c.post(t, path+"/update", url.Values{"csrf_token": {token}, "state": {"in_progress"}, "staff_answer": {"Поговорим\r\nс соседями"}})
		if code != 200 || !strings.Contains(body, "житель получит уведомление") || !strings.Contains(body, "Поговорим\nс соседями") {
			t.Errorf("%s: update %d", role, code)
		}
		if code, _ := c.post(t, path+"/update", url.Values{"csrf_token": {token}, "state": {"done"}}); code != 200 {
			t.Errorf("%s: close %d", role, code)
		}
		if code, _ := c.post(t, path+"/update", url.Values{"csrf_token": {token}, "state": {"in_progress"}}); code != http.StatusConflict {
			t.Errorf("%s: reopening a closed request = %d, want 409", role, code)
		}
		if code, _ := c.post(t, "/admin/requests/999999/update", url.Values{"csrf_token": {token}, "state": {"done"}}); code != http.StatusNotFound {
			t.Errorf("%s: update of a missing request = %d", role, code)
		}
		if code, _ := c.post(t, path+"/update", url.Values{"state": {"done"}}); code != http.StatusForbidden {
			t.Errorf("%s: update without CSRF = %d", role, code)
		}
		var notes int
		b.pool.QueryRow(ctx, `SELECT count(*) FROM notifications WHERE request_id = $1`, id).Scan(&notes)
		if notes != 3 {
			t.Errorf("%s: resident notifications = %d, want created + 2 changes", role, notes)
		}
		// Notices: to a house, both; to everyone, the administrator only.
		if code, body := c.post(t, "/admin/notifications", url.Values{"csrf_token": {token}, "scope": {"house"}, "house": {strconv.FormatInt(house, 10)},
			"subject": {"Отключение воды"}, "notice_body": {"Завтра\r\nс 10 до 14"}}); code != 200 || !strings.Contains(body, "жителей — 1") {
			t.Errorf("%s: notice to a house %d", role, code)
		}
		code, _ = c.post(t, "/admin/notifications", url.Values{"csrf_token": {token}, "scope": {"all"}, "subject": {"Всем"}})
		if want := map[string]int{"admin": 200, "operator": 403}[role]; code != want {
			t.Errorf("%s: notice to everyone = %d, want %d", role, code, want)
		}
	}
}
