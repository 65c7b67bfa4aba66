package cabinet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/zhkhgate/zhkhgate/internal/browsertest"
)

// TestChromiumESIALogin drives a real headless Chromium through what a newcomer does in the
// demo: «Войти через Госуслуги», pick a demo citizen at the ESIA simulator, link a demo account
// and see their name. Screenshots go to $ZHKHGATE_SCREENSHOTS when set.
func TestChromiumESIALogin(t *testing.T) {
	browserPath := browsertest.Path(t)
	e := newEnv(t, options{})
	shots := os.Getenv("ZHKHGATE_SCREENSHOTS")

	opts := browsertest.Options(browserPath, t.TempDir(), 1200, 900)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	shot := func(name string) {
		t.Helper()
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
	h := e.hint[0]
	person := chromedp.CSS(`button.person[data-oid="1000299654"]`)

	do("open the cabinet", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("esia-login")))
	hintNumber := text(`#demo-hints .hint-number`)
	shot("1-landing")
	do("click «Войти через Госуслуги»", chromedp.Click(chromedp.ID("esia-login")), chromedp.WaitVisible(person))
	simTitle, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	shot("2-esia-simulator")
	do("log in as a demo citizen", chromedp.Click(person), chromedp.WaitVisible(chromedp.ID("link-form")))
	do("fill the link form",
		chromedp.SendKeys(chromedp.ID("number"), h.Number),
		chromedp.SetValue(chromedp.ID("house"), itoa(h.HouseID)),
		chromedp.SendKeys(chromedp.ID("flat"), h.Flat),
		chromedp.SetValue(chromedp.ID("proof_kind"), "surname"),
		chromedp.SendKeys(chromedp.ID("proof"), h.Surname))
	shot("3-link-form")
	do("link the account", chromedp.Click(chromedp.ID("link-submit")), chromedp.WaitVisible(chromedp.ID("accounts")))
	name := text(`#resident-name`)
	accounts := text(`#accounts`)
	shot("4-linked")
	do("open the account", chromedp.Click(chromedp.CSS(`#accounts a`)), chromedp.WaitVisible(chromedp.ID("bills")))
	bills := text(`#bills`)
	shot("5-account")
	if !strings.Contains(bills, "К оплате") {
		t.Errorf("bills table = %q", bills)
	}
	if hintNumber != h.Number {
		t.Errorf("landing page demo hint = %q, want %q", hintNumber, h.Number)
	}
	if !strings.Contains(simTitle, "ЕСИА") {
		t.Errorf("simulator page title = %q", simTitle)
	}
	if strings.TrimSpace(name) != "Иванов Иван Петрович" {
		t.Errorf("resident name shown = %q", name)
	}
	if !strings.Contains(accounts, h.Number) || !strings.Contains(accounts, "основной") {
		t.Errorf("accounts table = %q", accounts)
	}
}
