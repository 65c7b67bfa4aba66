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
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// chromium is a headless Chromium session of one test.
type chromium struct {
	t    *testing.T
	ctx  context.Context
	dir  string // where screenshots go
	step int
}

func newChromium(t *testing.T) *chromium {
	t.Helper()
	browserPath := browsertest.Path(t)
	opts := browsertest.Options(browserPath, t.TempDir(), 1280, 900)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	// Screenshots are the test's artifacts: in $ZHKHGATE_SCREENSHOTS when set.
	dir := os.Getenv("ZHKHGATE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	return &chromium{t: t, ctx: ctx, dir: dir}
}

func (c *chromium) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", step, err)
	}
}

func (c *chromium) text(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (c *chromium) eval(js string) bool {
	c.t.Helper()
	ok, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		c.t.Fatalf("%s: %v", js, err)
	}
	return ok
}

// both checks the page at 360 px — no horizontal scroll, the header's «Выйти» (if any) on the
// screen — and saves screenshots at 360 and 1280 px.
func (c *chromium) both(name string) {
	c.t.Helper()
	c.step++
	c.do("360 px", chromedp.EmulateViewport(360, 740))
	// The renderer applies the new viewport (and its media queries) asynchronously: wait for it.
	if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`window.innerWidth === 360 && matchMedia('(max-width: 600px)').matches`)); err != nil {
		c.t.Fatalf("%s: the viewport did not become 360 px: %v", name, err)
	}
	width, err := chromedp.Run(c.ctx, chromedp.Evaluate[int]("document.documentElement.scrollWidth"))
	if err != nil {
		c.t.Fatal(err)
	}
	if width > 360 {
		wide, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('body *')]
			.filter(e => e.getBoundingClientRect().right > 360).slice(0, 5)
			.map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')`))
		c.t.Errorf("%s: scrollWidth %d at 360 px, want ≤ 360 (no horizontal scroll); widest: %s", name, width, wide)
	}
	if !c.eval(`(() => { const b = document.querySelector('form[action="/logout"] button');
		if (!b) return true; const r = b.getBoundingClientRect(); return r.left >= 0 && r.right <= 360 && r.width > 0 })()`) {
		c.t.Errorf("%s: «Выйти» is off the screen at 360 px", name)
	}
	c.shot(name + "-360")
	c.do("1280 px", chromedp.EmulateViewport(1280, 900))
	if _, err := chromedp.Run(c.ctx, chromedp.Poll[bool](`window.innerWidth === 1280`)); err != nil {
		c.t.Fatalf("%s: the viewport did not become 1280 px: %v", name, err)
	}
	c.shot(name + "-1280")
}

func (c *chromium) shot(name string) {
	c.t.Helper()
	buf, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(c.dir, "readings-"+strings.ReplaceAll(c.t.Name(), "/", "-")+"-"+itoa(int64(c.step))+"-"+name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// TestChromiumReadings: a resident logs in through the ESIA simulator, links an account, sends
// the readings of every meter (first with a wrong one, which is explained and stores nothing),
// opens the history and the ИПУ page — each page without horizontal scroll at 360 px.
func TestChromiumReadings(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{})
	h := e.hint[0]
	person := chromedp.CSS(`button.person[data-oid="1000299654"]`)
	c.do("log in", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.ID("esia-login")),
		chromedp.Click(chromedp.ID("esia-login")), chromedp.WaitVisible(person), chromedp.Click(person),
		chromedp.WaitVisible(chromedp.ID("link-form")))
	c.do("link", chromedp.SendKeys(chromedp.ID("number"), h.Number), chromedp.SetValue(chromedp.ID("house"), itoa(h.HouseID)),
		chromedp.SendKeys(chromedp.ID("flat"), h.Flat), chromedp.SetValue(chromedp.ID("proof_kind"), "surname"),
		chromedp.SendKeys(chromedp.ID("proof"), h.Surname), chromedp.Click(chromedp.ID("link-submit")),
		chromedp.WaitVisible(chromedp.ID("accounts")))
	c.both("home")
	p, err := store.FindAccountForProof(context.Background(), e.pool, h.Number, h.HouseID, h.Flat)
	if err != nil {
		t.Fatal(err)
	}
	cards := e.cards(p.AccountID)
	c.do("open the account", chromedp.Click(chromedp.CSS(`#accounts a`)), chromedp.WaitVisible(chromedp.ID("all-readings")))
	c.both("account")
	c.do("open the readings form", chromedp.Click(chromedp.ID("all-readings")), chromedp.WaitVisible(chromedp.ID("readings-form")))
	c.both("readings-form")

	// A wrong reading (below the previous) for the first meter, good ones for the rest.
	fill := func(first string) {
		for i, m := range cards {
			v := plus(m, 1)
			if i == 0 {
				v = first
			}
			if !c.eval(`(() => { const i = document.getElementById("value-` + itoa(m.MeterID) + `"); if (!i) return false; i.value = ""; return true })()`) {
				t.Fatalf("no input for meter %s", m.Number)
			}
			c.do("fill", chromedp.SendKeys(chromedp.ID("value-"+itoa(m.MeterID)), v))
		}
	}
	fill("1")
	c.do("submit a wrong reading", chromedp.Click(chromedp.ID("readings-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#meter-`+itoa(cards[0].MeterID)+` .field-error`)))
	if msg := c.text(`#meter-` + itoa(cards[0].MeterID) + ` .field-error`); !strings.Contains(msg, "меньше предыдущего") {
		t.Errorf("error shown: %q", msg)
	}
	if got := e.cards(p.AccountID); got[1].LastValue.String() != cards[1].LastValue.String() {
		t.Errorf("a refused form stored a reading: %v", got[1].LastValue)
	}
	c.both("readings-wrong")
	fill(plus(cards[0], 1))
	c.do("submit all meters", chromedp.Click(chromedp.ID("readings-submit")), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	if n := c.text(`.notice`); !strings.Contains(n, "Показания приняты") {
		t.Errorf("notice %q", n)
	}
	for i, m := range e.cards(p.AccountID) {
		if whole, _, _ := strings.Cut(m.LastValue.String(), "."); whole != plus(cards[i], 1) {
			t.Errorf("meter %s: %v, want %s", m.Number, m.LastValue, plus(cards[i], 1))
		}
	}
	c.both("readings-sent")

	c.do("open the history", chromedp.Click(chromedp.CSS(`#meter-`+itoa(cards[0].MeterID)+` .links a`)), chromedp.WaitVisible(chromedp.ID("history")))
	if !c.eval(`document.querySelectorAll('#chart rect').length >= 2`) {
		t.Error("the chart has fewer than two bars")
	}
	c.both("history")
	c.do("sort by value", chromedp.Click(chromedp.CSS(`#history a.sort[href*="sort=value"]`)), chromedp.WaitVisible(chromedp.ID("history")))
	if th := c.text(`#history tr th:nth-child(2)`); !strings.Contains(th, "▼") {
		t.Errorf("sorted column header %q", th)
	}

	c.do("open the ИПУ page", chromedp.Navigate(e.url+"/accounts/"+itoa(p.AccountID)+"/meters"), chromedp.WaitVisible(chromedp.CSS(`.ipu`)))
	if n := c.eval(`document.querySelectorAll('.ipu').length === ` + itoa(int64(len(cards)))); !n {
		t.Error("not every meter is on the ИПУ page")
	}
	c.both("meters")
	c.do("unlink asks", chromedp.Navigate(e.url+"/accounts/"+itoa(p.AccountID)+"/unlink"), chromedp.WaitVisible(chromedp.ID("unlink-confirm")))
	c.both("unlink")
	c.do("an unknown page", chromedp.Navigate(e.url+"/no-such-page"), chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if h1 := c.text(`main h1`); h1 != "Страница не найдена" {
		t.Errorf("404 page h1 %q", h1)
	}
	c.both("404")
}

// TestChromiumAnonymousReadings: without login — find the house by street and number, prove
// with the receipt's reading, send every meter.
func TestChromiumAnonymousReadings(t *testing.T) {
	c := newChromium(t)
	e := newEnv(t, options{})
	h := e.hint[2]
	parts := strings.Split(h.Address, ",")
	query := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(parts[len(parts)-2]), "ул.")) + " " +
		strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(parts[len(parts)-1]), "д."))
	c.do("open the form", chromedp.Navigate(e.url+"/readings"), chromedp.WaitVisible(chromedp.ID("address")))
	c.both("anon-start")
	c.do("search the house", chromedp.SendKeys(chromedp.ID("address"), query), chromedp.Click(chromedp.ID("address-search")),
		chromedp.WaitVisible(chromedp.CSS(`input[name="house"][value="`+itoa(h.HouseID)+`"]`)))
	c.both("anon-houses")
	c.do("choose and find", chromedp.Click(chromedp.CSS(`input[name="house"][value="`+itoa(h.HouseID)+`"]`)),
		chromedp.SendKeys(chromedp.ID("number"), h.Number), chromedp.SendKeys(chromedp.ID("flat"), h.Flat),
		chromedp.Click(chromedp.ID("find-submit")), chromedp.WaitVisible(chromedp.ID("readings-form")))
	p, err := store.FindAccountForProof(context.Background(), e.pool, h.Number, h.HouseID, h.Flat)
	if err != nil {
		t.Fatal(err)
	}
	cards := e.cards(p.AccountID)
	c.do("prove", chromedp.SetValue(chromedp.ID("proof_meter"), itoa(cards[0].MeterID)), chromedp.SendKeys(chromedp.ID("previous"), plus(cards[0], 0)))
	for _, m := range cards {
		c.do("fill", chromedp.SendKeys(chromedp.ID("value-"+itoa(m.MeterID)), plus(m, 2)))
	}
	c.both("anon-form")
	c.do("send", chromedp.Click(chromedp.ID("readings-submit")), chromedp.WaitVisible(chromedp.CSS(`.notice`)))
	for i, m := range e.cards(p.AccountID) {
		if whole, _, _ := strings.Cut(m.LastValue.String(), "."); whole != plus(cards[i], 2) {
			t.Errorf("meter %s: %v, want %s", m.Number, m.LastValue, plus(cards[i], 2))
		}
	}
	c.both("anon-sent")
}
