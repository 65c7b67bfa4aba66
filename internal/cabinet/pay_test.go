package cabinet_test

import (
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/acquiringtest"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/demo"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// payEnv is the cabinet's env with online payment through the acquiring simulator.
type payEnv struct {
	*env
	acq *acquiringtest.Env
	pay *onlinepay.Service
}

func newPayEnv(t *testing.T, faults sim.Faults) *payEnv {
	t.Helper()
	ctx := context.Background()
	pool := testdb.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := demo.Load(ctx, pool, demo.Options{Accounts: 6, Months: 2}, logger); err != nil {
		t.Fatalf("demo: %v", err)
	}
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	e := esiatest.Start(t, esiatest.Options{RedirectURI: base + "/esia/callback"})
	client, err := esia.New(e.Config, e.ClientSigner, e.Tool)
	if err != nil {
		t.Fatal(err)
	}
	acq := acquiringtest.Start(t, acquiringtest.Options{Faults: faults})
	svc := &onlinepay.Service{Pool: pool, Gateway: acq.Client, Logger: logger}
	cab, err := cabinet.New(cabinet.Config{BaseURL: base, DemoHints: true, PaymentOrigin: acq.URL},
		cabinet.Deps{Pool: pool, ESIA: client, Mailer: &mail.Capture{DB: pool}, Logger: logger, OnlinePay: svc})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = cab.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	hints, err := store.SampleAccounts(ctx, pool, 3)
	if err != nil || len(hints) < 3 {
		t.Fatalf("sample accounts: %v %v", hints, err)
	}
	return &payEnv{env: &env{t: t, pool: pool, url: base, esia: e, hint: hints}, acq: acq, pay: svc}
}

// loggedIn logs a demo citizen in and links the first hint's account; it returns the account id.
func (e *payEnv) loggedIn(b *browser) int64 {
	e.t.Helper()
	b.esiaLogin(1000299654)
	h := e.hint[0]
	b.postFollow("/accounts/link", e.linkForm(h, "surname", h.Surname))
	var id int64
	if err := e.pool.QueryRow(context.Background(), `SELECT id FROM accounts WHERE number = $1`, h.Number).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// checkout puts the account in the cart and pays it; it returns the order number and the payment page's URL.
func (e *payEnv) checkout(b *browser, accountID int64) (string, string) {
	e.t.Helper()
	b.follow("/accounts/" + itoa(accountID))
	r := b.postFollow("/cart/add/"+itoa(accountID), url.Values{})
	if !strings.Contains(r.body, "добавлен в корзину") {
		e.t.Fatalf("add to cart: HTTP %d\n%.1000s", r.status, r.body)
	}
	r = b.post("/cart/pay", url.Values{})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, e.acq.URL) {
		e.t.Fatalf("pay: HTTP %d to %q\n%.1000s", r.status, r.location, r.body)
	}
	u, _ := url.Parse(r.location)
	var number string
	if err := e.pool.QueryRow(context.Background(), `SELECT order_number FROM acquiring_orders WHERE acquirer_order_id = $1`,
		u.Query().Get("mdOrder")).Scan(&number); err != nil {
		e.t.Fatal(err)
	}
	return number, r.location
}

// payCard submits the simulator's card form and returns where the browser is sent back.
func (e *payEnv) payCard(b *browser, formURL, pan string) string {
	e.t.Helper()
	page := b.get(formURL)
	if page.status != http.StatusOK || !strings.Contains(page.body, "Банковская карта") {
		e.t.Fatalf("payment page: HTTP %d\n%.500s", page.status, page.body)
	}
	u, _ := url.Parse(formURL)
	req, _ := http.NewRequest(http.MethodPost, e.acq.URL+"/payment/sim/card", strings.NewReader(url.Values{
		"mdOrder": {u.Query().Get("mdOrder")}, "pan": {pan}, "exp": {"12/30"}, "cvc": {"123"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := b.do(req)
	if r.status != http.StatusSeeOther {
		e.t.Fatalf("card payment: HTTP %d\n%.500s", r.status, r.body)
	}
	return r.location
}

func (e *payEnv) order(number string) store.Order {
	e.t.Helper()
	o, err := store.OrderByNumber(context.Background(), e.pool, number)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

var onlineRowRe = regexp.MustCompile(`онлайн, принят банком`)

// paymentsShown counts the rows of the account page's payment history with amount (in "1234,56").
func paymentsShown(body, amount string) int {
	i := strings.Index(body, `id="payments"`)
	if i < 0 {
		return 0
	}
	table := body[i:]
	if j := strings.Index(table, "</table>"); j > 0 {
		table = table[:j]
	}
	return strings.Count(table, "<td>"+amount+"</td>")
}

func rubText(k int64) string {
	s := itoa(k / 100)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, "\u00a0"...)
		}
		out = append(out, s[i])
	}
	return string(out) + "," + itoa(k%100/10) + itoa(k%10)
}

// TestPayCallbackFaults pays through the simulator with every callback fault and checks that the
// order ends deposited, that each callback is applied once, and that the account shows the
// payment exactly once.
func TestPayCallbackFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		faults    sim.Faults
		callbacks int // callbacks logged
		refused   bool
	}{
		{"normal", sim.Faults{}, 2, false},
		{"duplicate", sim.Faults{Duplicate: true}, 2, false},
		{"lost", sim.Faults{Lose: true}, 0, false},
		{"late", sim.Faults{Hold: true}, 2, false},
		{"out of order", sim.Faults{OutOfOrder: true}, 2, false},
		{"bad checksum", sim.Faults{BadChecksum: true}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newPayEnv(t, tc.faults)
			b := e.browser()
			acc := e.loggedIn(b)
			number, form := e.checkout(b, acc)
			if o := e.order(number); o.State != model.OrderRegistered {
				t.Fatalf("after checkout: %s", o.State)
			}
			back := e.payCard(b, form, sim.CardSuccess)
			if !strings.HasPrefix(back, e.url+"/pay/result/"+number) {
				t.Fatalf("returned to %s", back)
			}
			// The return page asks the acquirer (the callback may be lost or late) and shows paid.
			r := b.get(back)
			if !strings.Contains(r.body, "Платёж принят банком") {
				t.Fatalf("return page:\n%.1500s", r.body)
			}
			if tc.faults.Hold {
				e.acq.Sim.Release() // the callbacks arrive after the status query settled the order
			}
			o := e.order(number)
			if o.State != model.OrderDeposited {
				t.Errorf("state %s, want deposited", o.State)
			}
			n, err := store.CallbackCount(ctx, e.pool, o.ID)
			if err != nil || n != tc.callbacks {
				t.Errorf("callbacks logged = %d (%v), want %d", n, err, tc.callbacks)
			}
			for _, d := range e.acq.Sim.Deliveries() {
				want := http.StatusOK
				if tc.refused {
					want = http.StatusForbidden
				}
				if d.URL != "(lost)" && d.HTTPStatus != want {
					t.Errorf("callback %s answered %d, want %d", d.Operation, d.HTTPStatus, want)
				}
			}
			if tc.refused {
				var audited int
				e.pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'acquiring.callback_refused' AND object_id = $1`, number).Scan(&audited)
				if audited != 2 {
					t.Errorf("refused callbacks audited: %d, want 2", audited)
				}
			}
			page := b.get("/accounts/" + itoa(acc))
			if n := len(onlineRowRe.FindAllString(page.body, -1)); n != len(o.Lines) {
				t.Errorf("account page shows %d online payments, want %d (one per line)", n, len(o.Lines))
			}
			for _, l := range o.Lines {
				if got := paymentsShown(page.body, rubText(l.Amount)); got != 1 {
					t.Errorf("line %d (%s) shown %d times", l.LineNo, rubText(l.Amount), got)
				}
			}
		})
	}
}

// TestRegistryMatchCountedOnce: a paid order counts at once; when the bank registry brings its
// operations, each line is matched to the registry payment, and the money is counted once in the
// balance and in the history.
func TestRegistryMatchCountedOnce(t *testing.T) {
	ctx := context.Background()
	e := newPayEnv(t, sim.Faults{})
	b := e.browser()
	acc := e.loggedIn(b)
	// An earlier registry gives the account its stored balance.
	var accNo string
	e.pool.QueryRow(ctx, `SELECT number FROM accounts WHERE id = $1`, acc).Scan(&accNo)
	postRegistry(t, e, "r0", []store.StagedRow{{Line: 1, OperationID: "1", OperationDate: time.Now().UTC().Truncate(24 * time.Hour),
		AccountNumber: accNo, Amount: 1}})
	balanceBefore := balanceOf(t, e, acc)
	number, form := e.checkout(b, acc)
	b.get(e.payCard(b, form, sim.CardSuccess))
	o := e.order(number)
	if o.State != model.OrderDeposited {
		t.Fatalf("state %s", o.State)
	}
	if got := balanceOf(t, e, acc); got != balanceBefore-o.Amount {
		t.Errorf("balance once paid online %d, want %d - %d", got, balanceBefore, o.Amount)
	}
	_, pending, _ := store.ProvisionalPayments(ctx, e.pool, acc)
	if pending != o.Amount {
		t.Fatalf("provisional %d, want %d", pending, o.Amount)
	}
	page := b.get("/accounts/" + itoa(acc))
	if n := len(onlineRowRe.FindAllString(page.body, -1)); n != len(o.Lines) {
		t.Fatalf("online rows before the registry: %d", n)
	}
	// The registry: one line per order line, operation id = order number "-" line number, and a
	// line of an unrelated payment, which must not match.
	var accNumber string
	e.pool.QueryRow(ctx, `SELECT number FROM accounts WHERE id = $1`, acc).Scan(&accNumber)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	var rows []store.StagedRow
	for _, l := range o.Lines {
		rows = append(rows, store.StagedRow{Line: l.LineNo, OperationID: store.OperationID(number, l.LineNo), OperationDate: today,
			AccountNumber: accNumber, Amount: l.Amount})
	}
	rows = append(rows, store.StagedRow{Line: 9, OperationID: "777", OperationDate: today, AccountNumber: accNumber, Amount: 100})
	if posted, matched := postRegistry(t, e, "r1", rows); posted != len(rows) || matched != 1 {
		t.Fatalf("registry posted %d, matched %d accounts", posted, matched)
	}
	_, pending, _ = store.ProvisionalPayments(ctx, e.pool, acc)
	if pending != 0 {
		t.Errorf("provisional after the registry: %d", pending)
	}
	o = e.order(number)
	for _, l := range o.Lines {
		if l.PaymentID == nil {
			t.Errorf("line %d not matched", l.LineNo)
		}
	}
	page = b.get("/accounts/" + itoa(acc))
	if n := len(onlineRowRe.FindAllString(page.body, -1)); n != 0 {
		t.Errorf("online rows after the registry: %d", n)
	}
	for _, l := range o.Lines {
		if got := paymentsShown(page.body, rubText(l.Amount)); got != 1 {
			t.Errorf("line %d (%s) shown %d times in the history", l.LineNo, rubText(l.Amount), got)
		}
	}
	// The balance counts the order once (plus the unrelated 1 ₽), and did so already before the registry.
	if got := balanceOf(t, e, acc); got != balanceBefore-o.Amount-100 {
		t.Errorf("balance after the registry %d, want %d - %d - 100", got, balanceBefore, o.Amount)
	}
	// A second registry repeating the operations posts nothing and matches nothing.
	if posted, matched := postRegistry(t, e, "r2", rows); posted != 0 || matched != 0 {
		t.Errorf("repeated registry posted %d, matched %d", posted, matched)
	}
	if got := balanceOf(t, e, acc); got != balanceBefore-o.Amount-100 {
		t.Errorf("balance after the repeated registry %d", got)
	}
}

// postRegistry stages and posts rows as registry name, as the registry job does, and matches
// online payments in the same transaction; it returns the payments posted and accounts matched.
func postRegistry(t *testing.T, e *payEnv, name string, rows []store.StagedRow) (int, int) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	sum := sha256.Sum256([]byte(name))
	id, err := store.CreateRegistry(ctx, tx, store.NewRegistry{SHA256: sum[:], FileName: name, SizeBytes: int64(len(name)), Intake: "cli"}, strings.NewReader(name))
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	st, err := store.StageRegistryRows(ctx, tx, func() (*store.StagedRow, error) {
		if i == len(rows) {
			return nil, nil
		}
		i++
		return &rows[i-1], nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.PostStagedRegistry(ctx, tx, id, "sberbank", nil, st)
	if err != nil {
		t.Fatal(err)
	}
	matched, err := store.MatchRegistryOnlinePayments(ctx, tx, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.RefreshRegistryBalances(ctx, tx, id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return res.Posted, matched
}

// balanceOf is what the account page calls the balance: the stored one less provisional payments.
func balanceOf(t *testing.T, e *payEnv, acc int64) int64 {
	t.Helper()
	ctx := context.Background()
	b, err := store.AccountBalance(ctx, e.pool, acc)
	if err != nil {
		t.Fatal(err)
	}
	_, pending, _ := store.ProvisionalPayments(ctx, e.pool, acc)
	return b.Balance - pending
}

// TestRefundAndDecline: a refund's callback takes the payment back; a declined card is no payment.
func TestRefundAndDecline(t *testing.T) {
	ctx := context.Background()
	e := newPayEnv(t, sim.Faults{})
	b := e.browser()
	acc := e.loggedIn(b)
	number, form := e.checkout(b, acc)
	b.get(e.payCard(b, form, sim.CardSuccess))
	o := e.order(number)
	if err := e.acq.Client.Refund(ctx, *o.AcquirerOrderID, o.Amount); err != nil {
		t.Fatal(err)
	}
	if o = e.order(number); o.State != model.OrderRefunded {
		t.Errorf("after refund: %s", o.State)
	}
	if _, pending, _ := store.ProvisionalPayments(ctx, e.pool, acc); pending != 0 {
		t.Errorf("refunded order still counts %d", pending)
	}
	number, form = e.checkout(b, acc)
	back := e.payCard(b, form, sim.CardDeclined)
	r := b.get(back)
	if !strings.Contains(r.body, "Платёж не прошёл") {
		t.Errorf("declined return page:\n%.1000s", r.body)
	}
	if o = e.order(number); o.State != model.OrderDeclined {
		t.Errorf("declined card: %s", o.State)
	}
}

// TestPayWithoutLogin pays an account by number, house and flat, and limits guessing.
func TestPayWithoutLogin(t *testing.T) {
	e := newPayEnv(t, sim.Faults{})
	h := e.hint[1]
	b := e.browser()
	// The form lists no house until one is searched by address (every house of a center is unusable).
	if r := b.follow("/pay"); strings.Contains(r.body, `type="radio"`) || !strings.Contains(r.body, `id="pay-find-house-first"`) {
		t.Errorf("the empty form lists houses:\n%.1500s", r.body)
	}
	words := strings.FieldsFunc(h.Address, func(r rune) bool { return r == ',' })
	street := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(words[len(words)-2]), "ул."))
	house := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(words[len(words)-1]), "д."))
	if r := b.get("/pay?" + url.Values{"address": {street + " " + house}}.Encode()); !strings.Contains(r.body, `value="`+itoa(h.HouseID)+`"`) ||
		strings.Count(r.body, `type="radio"`) > store.HouseSearchLimit {
		t.Errorf("search %q: the house is not offered\n%.1500s", street+" "+house, r.body)
	}
	if r := b.get("/pay?address=" + url.QueryEscape("Несуществующая 999")); !strings.Contains(r.body, `id="no-houses"`) {
		t.Errorf("unknown address: no message")
	}
	form := url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}, "step": {"find"}}
	r := b.post("/pay", form)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="housing"`) {
		t.Fatalf("find: HTTP %d\n%.1500s", r.status, r.body)
	}
	form.Set("step", "pay")
	form.Set("housing", "1000,50")
	form.Set("capital", "0")
	r = b.post("/pay", form)
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, e.acq.URL) {
		t.Fatalf("pay: HTTP %d %s\n%.1000s", r.status, r.location, r.body)
	}
	back := e.payCard(b, r.location, sim.CardSuccess)
	if res := b.get(back); !strings.Contains(res.body, "Платёж принят банком") || !strings.Contains(res.body, h.Number) {
		t.Fatalf("result:\n%.1500s", res.body)
	}
	u, _ := url.Parse(back)
	o := e.order(strings.TrimPrefix(u.Path, "/pay/result/"))
	if o.ResidentID != nil || o.Amount != 100050 || len(o.Lines) != 1 {
		t.Errorf("order = %+v", o)
	}
	// A wrong flat is refused with the same message as an unknown account, and guessing is limited.
	guess := e.browser()
	guess.follow("/pay")
	bad := url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {"999"}, "step": {"find"}}
	var last resp
	for range 6 {
		last = guess.post("/pay", bad)
	}
	if last.status != http.StatusTooManyRequests {
		t.Errorf("sixth wrong guess: HTTP %d, want 429", last.status)
	}
}

// TestCallbackEndpoint answers 403 to a bad checksum, 404 to an unknown order, and applies a
// duplicate once.
func TestCallbackEndpoint(t *testing.T) {
	e := newPayEnv(t, sim.Faults{Lose: true})
	b := e.browser()
	acc := e.loggedIn(b)
	number, form := e.checkout(b, acc)
	u, _ := url.Parse(form)
	md := u.Query().Get("mdOrder")
	e.payCard(b, form, sim.CardSuccess)
	call := func(v url.Values, sign bool) int {
		if sign {
			v.Set("checksum", acquiring.Checksum([]byte(acquiringtest.Secret), v))
		}
		resp, err := http.Get(e.url + "/acquiring/callback?" + v.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ok := func() url.Values {
		return url.Values{"mdOrder": {md}, "orderNumber": {number}, "operation": {"deposited"}, "status": {"1"}}
	}
	bad := ok()
	bad.Set("checksum", strings.Repeat("A", 64))
	for name, tc := range map[string]struct {
		v    url.Values
		sign bool
		want int
	}{
		"bad checksum":  {bad, false, http.StatusForbidden},
		"no checksum":   {ok(), false, http.StatusForbidden},
		"unknown order": {url.Values{"mdOrder": {"nope"}, "orderNumber": {number}, "operation": {"deposited"}, "status": {"1"}}, true, http.StatusNotFound},
		"wrong number":  {url.Values{"mdOrder": {md}, "orderNumber": {"OTHER"}, "operation": {"deposited"}, "status": {"1"}}, true, http.StatusBadRequest},
	} {
		if got := call(tc.v, tc.sign); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", name, got, tc.want)
		}
	}
	if o := e.order(number); o.State != model.OrderRegistered {
		t.Fatalf("refused callbacks changed the order: %s", o.State)
	}
	for range 3 {
		if got := call(ok(), true); got != http.StatusOK {
			t.Fatalf("good callback: HTTP %d", got)
		}
	}
	o := e.order(number)
	n, _ := store.CallbackCount(context.Background(), e.pool, o.ID)
	if o.State != model.OrderDeposited || n != 1 {
		t.Errorf("after 3 identical callbacks: %s, %d logged", o.State, n)
	}
}
