package cabinet_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// testPNG is a small real PNG.
func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 24, 16))
	for x := range 24 {
		img.Set(x, 8, color.RGBA{0, 80, 200, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type upload struct {
	name string
	data []byte
}

// postRequest submits the new-request form as a browser does (multipart), with the CSRF token
// of the last page.
func (b *browser) postRequest(fields url.Values, files ...upload) resp {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if _, ok := fields["csrf_token"]; !ok {
		fields.Set("csrf_token", b.csrf())
	}
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for _, f := range files {
		w, _ := mw.CreateFormFile("photos", f.name)
		w.Write(f.data)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.url+"/requests", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// TestRequestsAndNotifications: a resident files a request with a photo; refused files, counts
// and sizes; the daily limit; the photo comes back only to its owner, as an image with a
// disposition and a locked-down CSP; another resident's ids are 404 on every route taking one.
func TestRequestsAndNotifications(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{limits: cabinet.Limits{RequestsPerDay: 3}})
	ctx := context.Background()
	ivan, petr := e.browser(), e.browser()
	ivan.esiaLogin(ivanov)
	ivan.postFollow("/accounts/link", e.linkForm(e.hint[0], "surname", e.hint[0].Surname))
	petr.esiaLogin(1000299655)
	petr.postFollow("/accounts/link", e.linkForm(e.hint[1], "surname", e.hint[1].Surname))
	ivanRes, _ := store.ResidentByEmail(ctx, e.pool, "ivanov@example.org")
	accounts, _ := store.ResidentAccounts(ctx, e.pool, ivanRes.ID)
	if len(accounts) != 1 {
		t.Fatalf("Ivanov's accounts: %+v", accounts)
	}
	acc := itoa(accounts[0].AccountID)
	petrRes, _ := store.ResidentByEmail(ctx, e.pool, "smirnova@example.org")
	petrAccounts, _ := store.ResidentAccounts(ctx, e.pool, petrRes.ID)
	if len(petrAccounts) != 1 {
		t.Fatalf("Smirnova's accounts: %+v", petrAccounts)
	}
	form := func() url.Values {
		return url.Values{"kind": {"emergency"}, "account": {acc}, "subject": {"Течёт кран"}, "request_body": {"В ванной\r\nс утра"}}
	}
	photo := testPNG(t)

	page := ivan.follow("/requests")
	if page.status != 200 || !strings.Contains(page.body, `id="request-form"`) {
		t.Fatalf("requests page: %d", page.status)
	}
	// Refusals: not an image (HTML named .jpg, SVG), too many, too large, another's account.
	for _, c := range []struct {
		name   string
		fields url.Values
		files  []upload
		want   string
	}{
		{"html as jpg", form(), []upload{{"x.jpg", []byte("<html><script>alert(1)</script></html>")}}, "не фотография"},
		{"svg", form(), []upload{{"x.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)}}, "не фотография"},
		{"six photos", form(), []upload{{"1.png", photo}, {"2.png", photo}, {"3.png", photo}, {"4.png", photo}, {"5.png", photo}, {"6.png", photo}}, "не больше 5 фотографий"},
		{"6 MB", form(), []upload{{"big.png", append(append([]byte{}, photo...), make([]byte, 6<<20)...)}}, "больше 5 МБ"},
		{"27 MB body", form(), []upload{{"1.png", bytes.Repeat([]byte{1}, 27<<20)}}, "слишком велики"},
		{"empty file", form(), []upload{{"e.png", []byte{}}}, "пустой"},
		{"smirnova's account", url.Values{"kind": {"appeal"}, "account": {itoa(petrAccounts[0].AccountID)}, "subject": {"x"}}, nil, "не найден"},
		{"no category", url.Values{"kind": {"repair"}, "account": {acc}, "subject": {"x"}}, nil, "категорию"},
	} {
		ivan.follow("/requests")
		r := ivan.postRequest(c.fields, c.files...)
		if r.status != http.StatusBadRequest && r.status != http.StatusNotFound || !strings.Contains(r.body, c.want) {
			t.Errorf("%s: HTTP %d, want a refusal saying %q:\n%.300s", c.name, r.status, c.want, errorText(r.body))
		}
	}
	var n int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM requests`).Scan(&n)
	if n != 0 {
		t.Fatalf("refused requests stored: %d", n)
	}
	ivan.follow("/requests")
	r := ivan.postRequest(form(), upload{"кран.png", photo})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/requests/") {
		t.Fatalf("create: HTTP %d %s\n%.300s", r.status, r.location, errorText(r.body))
	}
	reqPath := strings.TrimSuffix(r.location, "?ok=request")
	page = ivan.follow(r.location)
	if !strings.Contains(page.body, "Течёт кран") || !strings.Contains(page.body, "принята") || !strings.Contains(page.body, `id="unread-badge"`) {
		t.Errorf("request page:\n%.1500s", page.body)
	}
	var reqID, attID, noteID int64
	e.pool.QueryRow(ctx, `SELECT r.id, a.id FROM requests r JOIN request_attachments a ON a.request_id = r.id`).Scan(&reqID, &attID)
	e.pool.QueryRow(ctx, `SELECT id FROM notifications WHERE resident_id = $1`, ivanRes.ID).Scan(&noteID)
	attPath := reqPath + "/attachments/" + itoa(attID)
	// The photo, to its owner only.
	got := ivan.get(attPath)
	res, _ := ivan.c.Get(e.url + attPath)
	res.Body.Close()
	if got.status != 200 || got.body != string(photo) || res.Header.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), "inline; filename*=utf-8''") ||
		!strings.Contains(res.Header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("attachment: %d %v", got.status, res.Header)
	}
	// Another resident: 404 on every route with an id, same as for ids that do not exist.
	petr.follow("/requests")
	for _, c := range []struct{ method, path string }{
		{"GET", reqPath}, {"GET", attPath}, {"GET", "/requests/999999"}, {"GET", reqPath + "/attachments/999999"},
		{"POST", "/notifications/" + itoa(noteID) + "/read"}, {"POST", "/notifications/999999/read"},
		{"POST", "/accounts/" + acc + "/notify"},
	} {
		var r resp
		if c.method == "GET" {
			r = petr.get(c.path)
		} else {
			petr.follow("/requests")
			r = petr.post(c.path, url.Values{"email": {"request"}})
		}
		if r.status != http.StatusNotFound {
			t.Errorf("Smirnova %s %s = %d, want 404", c.method, c.path, r.status)
		}
	}
	if note, _ := store.ResidentNotifications(ctx, e.pool, ivanRes.ID, 10); len(note) != 1 || note[0].ReadAt != nil {
		t.Errorf("Ivanov's notification after Smirnova's attempt: %+v", note)
	}
	// Smirnova's request list does not show Ivanov's.
	if p := petr.follow("/requests"); strings.Contains(p.body, "Течёт кран") {
		t.Error("Smirnova sees Ivanov's request")
	}
	// Notifications: the page, mark one read, the badge goes.
	np := ivan.follow("/notifications")
	if !strings.Contains(np.body, "Заявка № "+itoa(reqID)+" принята") {
		t.Errorf("notifications page:\n%.1500s", np.body)
	}
	if r := ivan.postFollow("/notifications/"+itoa(noteID)+"/read", url.Values{}); strings.Contains(r.body, `id="unread-badge"`) {
		t.Error("badge still shown after reading the only notification")
	}
	// E-mail settings per account.
	ivan.follow("/accounts/" + acc)
	if r := ivan.postFollow("/accounts/"+acc+"/notify", url.Values{"email": {"request", "due_soon"}}); !strings.Contains(r.body, "Настройки уведомлений сохранены") ||
		!strings.Contains(r.body, `value="request" checked`) || strings.Contains(r.body, `value="payment" checked`) {
		t.Errorf("settings not saved:\n%.300s", errorText(r.body))
	}
	ivan.follow("/accounts/" + acc)
	if r := ivan.post("/accounts/"+acc+"/notify", url.Values{"email": {"spam"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown kind: %d", r.status)
	}
	// The daily limit (3 here): two more pass, the fourth is refused with 429.
	for i := range 3 {
		ivan.follow("/requests")
		r := ivan.postRequest(form())
		if want := []int{303, 303, 429}[i]; r.status != want {
			t.Errorf("request %d of the day: %d, want %d", i+2, r.status, want)
		}
	}
	// Without the CSRF token nothing is created.
	ivan.follow("/requests")
	if r := ivan.postRequest(url.Values{"csrf_token": {"forged"}, "kind": {"appeal"}, "account": {acc}, "subject": {"x"}}); r.status != http.StatusForbidden {
		t.Errorf("forged CSRF: %d", r.status)
	}
}

// errorText is the error box of a page, or its start.
func errorText(body string) string {
	if i := strings.Index(body, `class="error"`); i >= 0 {
		return body[i:min(len(body), i+300)]
	}
	return body[:min(len(body), 300)]
}
