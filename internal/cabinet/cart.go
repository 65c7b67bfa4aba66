package cabinet

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// payRoutes adds the cart, online payment (also without login) and the acquirer's callback.
func (c *Cabinet) payRoutes() {
	c.mux.HandleFunc("GET /cart", c.resident(c.cartPage))
	c.mux.HandleFunc("POST /cart/add/{id}", c.resident(c.cartAdd))
	c.mux.HandleFunc("POST /cart", c.resident(c.cartUpdate))
	c.mux.HandleFunc("POST /cart/pay", c.resident(c.cartPay))
	c.mux.HandleFunc("GET /pay", c.anon(c.payForm))
	c.mux.HandleFunc("POST /pay", c.anon(c.paySubmit))
	c.mux.HandleFunc("GET /pay/result/{number}", c.anon(c.payResult))
	c.mux.HandleFunc("GET /acquiring/callback", c.acquiringCallback)
	c.mux.HandleFunc("POST /acquiring/callback", c.acquiringCallback)
}

// cartNotices are the fixed messages of the cart page's ?ok=….
var cartNotices = map[string]string{
	"added":   "Лицевой счёт добавлен в корзину.",
	"saved":   "Суммы сохранены.",
	"removed": "Строка удалена из корзины.",
	"nothing": "По этому лицевому счёту нет суммы к оплате.",
}

var purposes = map[string]string{store.PurposeHousing: "Жилищно-коммунальные услуги", store.PurposeCapitalRepair: "Взнос на капитальный ремонт"}

func purposeName(p string) string { return purposes[p] }

// errPayOff is shown when online payment is not configured.
var errPayOff = apperr.E(apperr.NotFound, "pay", "Оплата онлайн пока не подключена.")

func (c *Cabinet) cartPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.renderCart(w, r, v, http.StatusOK, "", cartNotices[r.URL.Query().Get("ok")])
}

func (c *Cabinet) renderCart(w http.ResponseWriter, r *http.Request, v *visitor, status int, errMsg, notice string) {
	lines, err := store.Cart(r.Context(), c.deps.Pool, v.Resident.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	var total int64
	for _, l := range lines {
		total += l.Amount
	}
	c.render(w, r, status, "cart", v, page{Title: "Корзина", Error: errMsg, Notice: notice,
		Data: map[string]any{"Lines": lines, "Total": total, "PayOn": c.deps.OnlinePay != nil}})
}

func (c *Cabinet) cartAdd(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := accountID(r)
	if _, err := store.ResidentAccount(r.Context(), c.deps.Pool, v.Resident.ID, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	n, err := store.AddAccountToCart(r.Context(), c.deps.Pool, v.Resident.ID, id)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if n == 0 {
		http.Redirect(w, r, "/cart?ok=nothing", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/cart?ok=added", http.StatusSeeOther)
}

// cartUpdate saves the sums typed in the cart (amount_<line>), or removes a line (remove=<line>).
func (c *Cabinet) cartUpdate(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	if rm := r.PostFormValue("remove"); rm != "" {
		id, _ := strconv.ParseInt(rm, 10, 64)
		if err := store.RemoveCartLine(ctx, c.deps.Pool, v.Resident.ID, id); err != nil {
			c.fail(w, r, v, err)
			return
		}
		http.Redirect(w, r, "/cart?ok=removed", http.StatusSeeOther)
		return
	}
	if err := c.saveCartAmounts(r, v); err != nil {
		c.renderCartError(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/cart?ok=saved", http.StatusSeeOther)
}

func (c *Cabinet) renderCartError(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	if apperr.HTTPStatus(err) >= 500 {
		c.fail(w, r, v, err)
		return
	}
	c.renderCart(w, r, v, apperr.HTTPStatus(err), apperr.UserMessage(err), "")
}

// saveCartAmounts stores every amount_<line> field of the form.
func (c *Cabinet) saveCartAmounts(r *http.Request, v *visitor) error {
	for name, vals := range r.PostForm {
		rest, ok := strings.CutPrefix(name, "amount_")
		if !ok || len(vals) != 1 {
			continue
		}
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			continue
		}
		k, err := parseRubles(vals[0])
		if err != nil {
			return err
		}
		if err := store.SetCartLineAmount(r.Context(), c.deps.Pool, v.Resident.ID, id, k); err != nil {
			return err
		}
	}
	return nil
}

// cartPay saves the sums as typed, turns the cart into an order, registers it with the acquirer
// and sends the browser to the payment page.
func (c *Cabinet) cartPay(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	if c.deps.OnlinePay == nil {
		c.fail(w, r, v, errPayOff)
		return
	}
	if err := c.saveCartAmounts(r, v); err != nil {
		c.renderCartError(w, r, v, err)
		return
	}
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	defer tx.Rollback(ctx)
	o, err := store.CheckoutCart(ctx, tx, v.Resident.ID, onlinepay.NewOrderNumber())
	if err != nil {
		c.renderCartError(w, r, v, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, v.Resident.ID, "resident.order_created", "acquiring_order", o.Number, map[string]any{"amount": o.Amount, "lines": len(o.Lines)})
	c.registerAndGo(w, r, v, o)
}

// rublesInput writes kopecks as a form field value: "1234,56".
func rublesInput(k int64) string {
	return strconv.FormatInt(k/100, 10) + "," + strconv.FormatInt(k%100/10, 10) + strconv.FormatInt(k%10, 10)
}
