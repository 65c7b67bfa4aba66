package cabinet

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// registerAndGo registers order o with the acquirer and sends the browser to its payment page.
func (c *Cabinet) registerAndGo(w http.ResponseWriter, r *http.Request, v *visitor, o store.Order) {
	ctx := r.Context()
	form, err := c.deps.OnlinePay.Register(ctx, o, c.cfg.BaseURL+"/pay/result/"+o.Number, c.cfg.BaseURL+"/acquiring/callback",
		"Оплата ЖКУ, заказ "+o.Number)
	if err != nil {
		c.deps.Logger.WarnContext(ctx, "cabinet: register order", "order", o.Number, "error", err)
		c.fail(w, r, v, apperr.E(apperr.Unavailable, "pay", "Банк сейчас не отвечает. Попробуйте оплатить через несколько минут."))
		return
	}
	if o.ResidentID != nil {
		if err := store.ClearCart(ctx, c.deps.Pool, *o.ResidentID); err != nil {
			c.deps.Logger.ErrorContext(ctx, "cabinet: clear cart", "error", err)
		}
	}
	http.Redirect(w, r, form, http.StatusSeeOther)
}

// payForm is GET /pay: paying an account without login, step 1.
func (c *Cabinet) payForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	q := strings.TrimSpace(r.URL.Query().Get("address"))
	data := map[string]any{"Address": q, "PayOn": c.deps.OnlinePay != nil}
	if q != "" {
		houses, err := store.SearchHouses(r.Context(), c.deps.Pool, q)
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		data["Houses"], data["Searched"] = houses, true
	}
	c.render(w, r, http.StatusOK, "pay", v, page{Title: "Оплатить без входа", Data: data})
}

// paySubmit is POST /pay without login. The payer proves the account as the readings form does —
// number, house and flat, all three matching —, which limits what guessing can learn to the sum
// due; attempts are limited per IP and, for misses, per client and account. Step "find" shows
// the latest document's sums (capital repair apart), step "pay" takes the sums as typed and goes
// to the acquirer.
func (c *Cabinet) paySubmit(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	house, _ := strconv.ParseInt(r.PostFormValue("house"), 10, 64)
	data := map[string]any{"Number": r.PostFormValue("number"), "Flat": r.PostFormValue("flat"), "House": house,
		"Address": r.PostFormValue("address"), "PayOn": c.deps.OnlinePay != nil}
	if house > 0 {
		addr, err := store.HouseAddress(ctx, c.deps.Pool, house)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			c.fail(w, r, v, err)
			return
		}
		data["HouseAddress"] = addr
	}
	fail := func(err error) { c.failForm(w, r, v, "pay", "Оплатить без входа", err, data) }
	if c.deps.OnlinePay == nil {
		fail(errPayOff)
		return
	}
	p, keyAcc, err := c.proveAccount(ctx, r, "pay")
	if err != nil {
		fail(err)
		return
	}
	c.release(ctx, keyAcc, c.proofLimit()) // the account is proven; typos in sums are no guess
	due, err := store.LatestDue(ctx, c.deps.Pool, p.AccountID)
	if err != nil {
		fail(err)
		return
	}
	data["Due"] = due
	if r.PostFormValue("step") != "pay" {
		c.render(w, r, http.StatusOK, "pay", v, page{Title: "Оплатить без входа", Data: data})
		return
	}
	var lines []store.OrderLine
	for _, l := range []struct{ purpose, field string }{{store.PurposeHousing, "housing"}, {store.PurposeCapitalRepair, "capital"}} {
		s := r.PostFormValue(l.field)
		if s == "" || s == "0" {
			continue
		}
		k, err := parseRubles(s)
		if err != nil {
			fail(err)
			return
		}
		if k > 0 {
			lines = append(lines, store.OrderLine{AccountID: p.AccountID, Purpose: l.purpose, DocumentID: due.DocumentID, Period: due.Period, Amount: k})
		}
	}
	if len(lines) == 0 {
		fail(apperr.Invalidf("pay", "Укажите сумму к оплате."))
		return
	}
	o, err := store.CreateOrder(ctx, c.deps.Pool, nil, onlinepay.NewOrderNumber(), lines)
	if err != nil {
		fail(err)
		return
	}
	c.audit(ctx, 0, "pay.order_created", "acquiring_order", o.Number,
		map[string]any{"account_id": p.AccountID, "amount": o.Amount, "remote": c.clientIP(r)})
	c.registerAndGo(w, r, v, o)
}

// statusCheckEvery bounds how often the return page asks the acquirer about one order.
const statusCheckEvery = 3 * time.Second

// payResult is the page the acquirer returns the payer to; the order number in its address is
// random (100 bits) and is the only key to it, so a payer without login sees it too. It shows the order's state as the
// server knows it — from a verified callback or the acquirer's status answer, which it asks for
// (at most every few seconds) while the order waits —, never from the browser's return itself.
func (c *Cabinet) payResult(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	o, err := store.OrderByNumber(ctx, c.deps.Pool, r.PathValue("number"))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if c.deps.OnlinePay != nil && o.State == model.OrderRegistered && o.AcquirerOrderID != nil &&
		(o.StatusCheckedAt == nil || c.now().Sub(*o.StatusCheckedAt) >= statusCheckEvery) {
		if st, err := c.deps.OnlinePay.CheckStatus(ctx, o.ID, *o.AcquirerOrderID); err == nil {
			o.State = st
		} else {
			c.deps.Logger.WarnContext(ctx, "cabinet: order status", "order", o.Number, "error", err)
		}
	}
	accounts := map[int64]string{}
	for _, l := range o.Lines {
		if _, ok := accounts[l.AccountID]; !ok {
			if due, err := store.LatestDue(ctx, c.deps.Pool, l.AccountID); err == nil {
				accounts[l.AccountID] = due.Number
			}
		}
	}
	waiting := o.State == model.OrderCreated || o.State == model.OrderRegistered
	if waiting {
		w.Header().Set("Refresh", "3")
	}
	c.render(w, r, http.StatusOK, "pay_result", v, page{Title: "Оплата заказа " + o.Number,
		Data: map[string]any{"Order": o, "Waiting": waiting, "Paid": o.State.Counts(), "Accounts": accounts}})
}

// acquiringCallback is the acquirer's notification. It answers 200 only after the callback is
// applied and committed; a bad checksum is 403 (and audited), an unknown order 404, a malformed
// callback 400, anything else 503 so the acquirer tries again.
func (c *Cabinet) acquiringCallback(w http.ResponseWriter, r *http.Request) {
	if c.deps.OnlinePay == nil {
		http.Error(w, "online payment is not configured", http.StatusNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	_, err := c.deps.OnlinePay.ApplyCallback(r.Context(), r.Form, c.clientIP(r))
	if err != nil {
		status := apperr.HTTPStatus(err)
		if status >= 500 {
			c.deps.Logger.ErrorContext(r.Context(), "cabinet: acquiring callback", "error", err)
			status = http.StatusServiceUnavailable
		} else {
			c.deps.Logger.WarnContext(r.Context(), "cabinet: acquiring callback refused", "status", status, "error", err)
		}
		http.Error(w, http.StatusText(status), status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("OK"))
}
