package cabinet_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/internal/browsertest"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// TestChromiumRequestAnswered drives headless Chromium through a request's whole way: a
// resident files a request with a photo, an operator answers it in the console, and the
// resident sees the answer and the unread badge. Screenshots of the requests and
// notifications pages at 1280 and 360 px go to $ZHKHGATE_SCREENSHOTS when set, and at 360 px
// no page may scroll sideways.
func TestChromiumRequestAnswered(t *testing.T) {
	browserPath := browsertest.Path(t)
	bg := context.Background()
	pool := testdb.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Load(bg, pool, demo.Options{Accounts: 6, Months: 2}, logger); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	e := esiatest.Start(t, esiatest.Options{RedirectURI: base + "/esia/callback"})
	client, err := esia.New(e.Config, e.ClientSigner, e.Tool)
	if err != nil {
		t.Fatal(err)
	}
	cab, err := cabinet.New(cabinet.Config{BaseURL: base, DemoHints: true}, cabinet.Deps{Pool: pool, ESIA: client, Mailer: &mail.Capture{DB: pool}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	console, err := web.New(web.Config{}, web.Deps{Pool: pool, Jobs: jc, Metrics: metrics.New(pool, logger), Logger: logger, Cabinet: cab.Handler()})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := web.HashPassword("correct horse")
	if _, err := store.CreateStaffUser(bg, pool, store.StaffUser{Login: "oper", PasswordHash: hash, Role: "operator"}); err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = console.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	hints, err := store.SampleAccounts(bg, pool, 1)
	if err != nil || len(hints) == 0 {
		t.Fatal(err)
	}
	h := hints[0]
	photo := filepath.Join(t.TempDir(), "протечка.png")
	if err := os.WriteFile(photo, testPNG(t), 0o644); err != nil {
		t.Fatal(err)
	}
	shots := os.Getenv("ZHKHGATE_SCREENSHOTS")

	actx, cancelAlloc := chromedp.NewExecAllocator(bg, browsertest.Options(browserPath, t.TempDir(), 1280, 900)...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 120*time.Second)
	defer cancelTimeout()

	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	// at sizes the window, checks nothing scrolls sideways, and takes a full-page screenshot.
	at := func(width int64, name string) {
		t.Helper()
		do("resize to "+name, chromedp.EmulateViewport(width, 800))
		sw, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if sw > width {
			t.Errorf("%s: the page is %d px wide in a %d px window", name, sw, width)
		}
		if shots == "" {
			return
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	person := chromedp.CSS(`button.person[data-oid="1000299654"]`)
	do("log in with ESIA", chromedp.Navigate(base+"/"), chromedp.Click(chromedp.ID("esia-login")), chromedp.WaitVisible(person),
		chromedp.Click(person), chromedp.WaitVisible(chromedp.ID("link-form")))
	do("link an account",
		chromedp.SendKeys(chromedp.ID("number"), h.Number), chromedp.SetValue(chromedp.ID("house"), itoa(h.HouseID)),
		chromedp.SendKeys(chromedp.ID("flat"), h.Flat), chromedp.SetValue(chromedp.ID("proof_kind"), "surname"),
		chromedp.SendKeys(chromedp.ID("proof"), h.Surname), chromedp.Click(chromedp.ID("link-submit")), chromedp.WaitVisible(chromedp.ID("accounts")))
	do("file a request with a photo", chromedp.Navigate(base+"/requests"), chromedp.WaitVisible(chromedp.ID("request-form")),
		chromedp.SetValue(chromedp.ID("kind"), "emergency"),
		chromedp.SendKeys(chromedp.ID("subject"), "Течёт стояк в ванной"),
		chromedp.SendKeys(chromedp.ID("body"), "С утра капает с потолка.\nСоседи сверху не открывают."),
		chromedp.SetUploadFiles(`#photos`, []string{photo}),
		chromedp.Click(chromedp.ID("request-submit")), chromedp.WaitVisible(chromedp.ID("timeline")))
	if s := text(`#request-state`); s != "принята" {
		t.Errorf("new request's state = %q", s)
	}
	if loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelectorAll('.photos img').length === 1 &&
		Array.from(document.querySelectorAll('.photos img')).every(i => i.complete && i.naturalWidth === 24)`)); err != nil || !loaded {
		t.Errorf("the photo does not show on the request page: %v", err)
	}
	var id int64
	if err := pool.QueryRow(bg, `SELECT max(id) FROM requests`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	// The operator answers in the console (same browser: the staff cookie is limited to /admin).
	do("staff log in", chromedp.Navigate(base+"/admin/login?next=/admin/requests/"+itoa(id)),
		chromedp.SendKeys(`input[name=login]`, "oper"), chromedp.SendKeys(`input[name=password]`, "correct horse"),
		chromedp.Submit(`input[name=password]`), chromedp.WaitVisible(chromedp.ID("answer-form")))
	do("answer", chromedp.SetValue(chromedp.ID("new-state"), "in_progress"),
		chromedp.SendKeys(chromedp.ID("staff-answer"), "Сантехник придёт сегодня до 18:00."),
		chromedp.Click(chromedp.ID("answer-submit")), chromedp.WaitVisible(`p.ok`))
	if s := text(`#request-state`); s != "в работе" {
		t.Errorf("console state after the answer = %q", s)
	}
	// Back in the cabinet: the answer on the timeline and the badge in the header.
	do("open the request", chromedp.Navigate(base+"/requests/"+itoa(id)), chromedp.WaitVisible(chromedp.ID("timeline")))
	if tl := text(`#timeline`); !strings.Contains(tl, "Сантехник придёт сегодня до 18:00.") || !strings.Contains(tl, "в работе") {
		t.Errorf("timeline = %q", tl)
	}
	if b := text(`#unread-badge`); b != "2" {
		t.Errorf("unread badge = %q, want 2 (accepted, answered)", b)
	}
	at(1280, "requests-1-request-1280")
	at(360, "requests-2-request-360")
	do("requests list", chromedp.Navigate(base+"/requests"), chromedp.WaitVisible(chromedp.ID("requests")))
	at(1280, "requests-3-list-1280")
	at(360, "requests-4-list-360")
	do("notifications", chromedp.Navigate(base+"/notifications"), chromedp.WaitVisible(chromedp.ID("notifications")))
	if n := text(`#notifications`); !strings.Contains(n, "Сантехник придёт") {
		t.Errorf("notifications = %q", n)
	}
	at(1280, "requests-5-notifications-1280")
	at(360, "requests-6-notifications-360")
	do("account page at 360", chromedp.Navigate(base+"/"), chromedp.Click(`#accounts a`), chromedp.WaitVisible(chromedp.ID("notify")))
	at(360, "requests-7-account-360")
}
