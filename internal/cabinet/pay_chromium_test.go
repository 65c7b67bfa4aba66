package cabinet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/internal/browsertest"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// TestChromiumPay drives a real headless Chromium through online payment with a duplicated
// callback and then a lost one: log in, add the account to the cart, pay with the test card on
// the simulator's page, come back and see «Платёж принят банком», and the payment once in the
// account's history. Screenshots at 1280 and 360 px go to $ZHKHGATE_SCREENSHOTS when set.
func TestChromiumPay(t *testing.T) {
	browserPath := browsertest.Path(t)
	e := newPayEnv(t, sim.Faults{Duplicate: true})
	shots := os.Getenv("ZHKHGATE_SCREENSHOTS")
	opts := browsertest.Options(browserPath, t.TempDir(), 1280, 900)
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
	shot := func(name string) {
		t.Helper()
		if shots == "" {
			return
		}
		for _, w := range []int64{1280, 360} {
			do("resize", chromedp.EmulateViewport(w, 800))
			buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot %s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(shots, name+"-"+itoa(w)+".png"), buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		do("resize back", chromedp.EmulateViewport(1280, 900))
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
	do("log in", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("esia-login")),
		chromedp.Click(chromedp.ID("esia-login")), chromedp.WaitVisible(person), chromedp.Click(person),
		chromedp.WaitVisible(chromedp.ID("link-form")))
	do("link the account",
		chromedp.SendKeys(chromedp.ID("number"), h.Number), chromedp.SetValue(chromedp.ID("house"), itoa(h.HouseID)),
		chromedp.SendKeys(chromedp.ID("flat"), h.Flat), chromedp.SetValue(chromedp.ID("proof_kind"), "surname"),
		chromedp.SendKeys(chromedp.ID("proof"), h.Surname), chromedp.Click(chromedp.ID("link-submit")),
		chromedp.WaitVisible(chromedp.ID("accounts")))

	pay := func(round string) store.Order {
		t.Helper()
		do("open the account", chromedp.Click(chromedp.CSS(`#accounts a`)), chromedp.WaitVisible(chromedp.ID("add-to-cart")))
		do("add to cart", chromedp.Click(chromedp.ID("add-to-cart")), chromedp.WaitVisible(chromedp.ID("cart-form")))
		shot(round + "-1-cart")
		do("pay", chromedp.Click(chromedp.ID("pay")), chromedp.WaitVisible(chromedp.ID("card-form")))
		shot(round + "-2-payment-page")
		do("card", chromedp.SendKeys(chromedp.ID("pan"), sim.CardSuccess), chromedp.SendKeys(chromedp.ID("exp"), "12/30"),
			chromedp.SendKeys(chromedp.ID("cvc"), "123"), chromedp.Click(chromedp.CSS(`#card-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("pay-state")))
		state := text(`#pay-state`)
		shot(round + "-3-result")
		if state != "Платёж принят банком" {
			t.Errorf("%s: result page says %q", round, state)
		}
		var number string
		if err := e.pool.QueryRow(context.Background(), `SELECT order_number FROM acquiring_orders ORDER BY id DESC LIMIT 1`).Scan(&number); err != nil {
			t.Fatal(err)
		}
		return e.order(number)
	}

	first := pay("duplicate")
	e.acq.Sim.SetFaults(sim.Faults{Lose: true})
	do("home", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("accounts")))
	second := pay("lost")
	for _, o := range []store.Order{first, second} {
		if o.State != model.OrderDeposited {
			t.Errorf("order %s: %s", o.Number, o.State)
		}
	}
	do("account page", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("accounts")),
		chromedp.Click(chromedp.CSS(`#accounts a`)), chromedp.WaitVisible(chromedp.ID("payments")))
	history := text(`#payments`)
	shot("account-history")
	if n := strings.Count(history, "принят банком"); n != len(first.Lines)+len(second.Lines) {
		t.Errorf("history shows %d online payments, want %d:\n%s", n, len(first.Lines)+len(second.Lines), history)
	}
	var dup int
	for _, d := range e.acq.Sim.Deliveries() {
		if d.OrderNumber == first.Number {
			dup++
		}
	}
	if dup != 4 {
		t.Errorf("the simulator sent %d callbacks for the first order, want 4 (duplicated)", dup)
	}
}
