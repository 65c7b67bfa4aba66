package web

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/browsertest"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// TestChromiumConsoleAt1280 opens every console page in headless Chromium
// at 1280×800 and fails when the page scrolls sideways or a table overflows
// its card without its own scroll. Screenshots go to $ZHKHGATE_SCREENSHOTS
// when set (console-*.png).
func TestChromiumConsoleAt1280(t *testing.T) {
	browserPath := browsertest.Path(t)
	b := setup(t)
	_, msgID, _ := consoleSeed(t, b.pool)
	screenshotSeed(t, b)
	shots := os.Getenv("ZHKHGATE_SCREENSHOTS")

	opts := browsertest.Options(browserPath, t.TempDir(), 1280, 800)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
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
	do("viewport", chromedp.EmulateViewport(1280, 800))
	check := func(name string) {
		t.Helper()
		// The page must not be wider than the window; a table must fit its card or scroll inside its own box.
		width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if width > 1280 {
			t.Errorf("%s: the page is %d px wide at 1280", name, width)
		}
		over, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.card')].filter(c => c.scrollWidth > c.clientWidth + 1).map(c => (c.querySelector('h2,h1')||c).textContent.trim().slice(0, 60))`))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range over {
			t.Errorf("%s: card %q overflows", name, c)
		}
		scrolls, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('.table')].filter(c => c.scrollWidth > c.clientWidth + 1).length`))
		if err != nil {
			t.Fatal(err)
		}
		if scrolls > 0 {
			t.Errorf("%s: %d tables scroll sideways inside their card at 1280 px", name, scrolls)
		}
		if shots == "" {
			return
		}
		buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, "console-"+name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	do("open the login page", chromedp.Navigate(b.srv.URL+"/admin/login"), chromedp.WaitVisible(chromedp.CSS(`input[name=login]`)))
	check("login")
	do("log in",
		chromedp.SendKeys(chromedp.CSS(`input[name=login]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), "correct horse"),
		chromedp.Click(chromedp.CSS(`form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`section.tiles`)))
	check("dashboard")
	do("search from the header", chromedp.SendKeys(chromedp.CSS(`form.search input`), "кузнецов\n"), chromedp.WaitVisible(chromedp.CSS(`main form.filters`)))
	if title, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`h1`))); !strings.Contains(title, "кузнецов") {
		t.Errorf("search page title %q", title)
	}
	check("search")
	for _, p := range []struct{ name, path string }{
		{"account", "/admin/accounts/1"},
		{"gis", "/admin/gis?org=1&period=2026-10"},
		{"gis-message", fmt.Sprintf("/admin/gis/messages/%d", msgID)},
		{"gis-stopped", "/admin/gis/messages/2"},
		{"staff", "/admin/staff"},
		{"registries", "/admin/registries"},
		{"reconciliation", "/admin/registries/reconciliation"},
		{"not-found", "/admin/accounts/999"},
	} {
		do("open "+p.path, chromedp.Navigate(b.srv.URL+p.path), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
		check(p.name)
	}
	_ = url.Values{}
}

// screenshotSeed adds what makes the GIS pages realistic: a stopped message
// with a long error, an export with a long report, and many messages.
func screenshotSeed(t *testing.T, b *testBundle) {
	t.Helper()
	ctx := context.Background()
	var id int64
	if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) (err error) {
		id, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: 1, Kind: "accounts", Service: "house-management", Operation: "importAccountData"},
			[]store.GISItem{{TransportGUID: "00000000-0000-4000-8000-0000000000a1", ObjectKind: "account", ObjectID: 2}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkGISStopped(ctx, b.pool, id, "AUT011003", "Доступ запрещен для поставщика данных: у организации 5902000001 нет полномочия «Размещение информации о лицевых счетах» в отношении дома г. Пермь, ул. Куйбышева, д. 95"); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error {
			p := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
			mid, err := store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: 1, Kind: "documents", Service: "bills", Operation: "importPaymentDocumentData", Period: &p}, nil)
			if err != nil {
				return err
			}
			r := store.GISExportResult{Received: 300 + i, Missing: 2, MissingLabels: []string{"1002003004", "1002003005"}, Unknown: 1, UnknownLabels: []string{"00АБ123456-01-очень-длинный-идентификатор-без-пробелов"}}
			return store.FinishGISExportReport(ctx, tx, mid, "", r, r.Report("documents not in GIS", "GIS documents not in the store"))
		}); err != nil {
			t.Fatal(err)
		}
	}
}
