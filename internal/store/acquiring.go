package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Purposes of a cart or order line: capital repair is always its own line, since it is paid to
// its own account (a regional operator's or the house's special account).
const (
	PurposeHousing       = "housing"
	PurposeCapitalRepair = "capital_repair"
)

// AccountDue is what an account's latest payment document asks, split into housing and capital
// repair.
type AccountDue struct {
	AccountID  int64
	Number     string
	DocumentID *int64
	Period     *time.Time
	// Housing and CapitalRepair are in kopecks; Housing is the document's total less capital repair.
	Housing, CapitalRepair int64
}

// latestDueSQL reads the latest payment document of account $1 and its capital repair charges.
const latestDueSQL = `
	SELECT a.id, a.number, d.id, d.period,
	       coalesce(d.total_due, 0) - coalesce(cr.total, 0), coalesce(cr.total, 0)
	FROM accounts a
	LEFT JOIN LATERAL (SELECT id, period, total_due FROM payment_documents
		WHERE account_id = a.id AND state <> 'withdrawn' ORDER BY period DESC LIMIT 1) d ON true
	LEFT JOIN LATERAL (SELECT sum(c.total) AS total FROM charges c JOIN services s ON s.id = c.service_id
		WHERE c.account_id = a.id AND c.period = d.period AND s.kind = 'capital_repair') cr ON true
	WHERE a.id = $1`

// LatestDue returns what account accountID's latest document asks. It reads any account: callers
// prove the account first (a link, or number, house and flat).
func LatestDue(ctx context.Context, db DBTX, accountID int64) (AccountDue, error) {
	var d AccountDue
	err := db.QueryRow(ctx, latestDueSQL, accountID).Scan(&d.AccountID, &d.Number, &d.DocumentID, &d.Period, &d.Housing, &d.CapitalRepair)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, apperr.E(apperr.NotFound, "latest due", "лицевой счёт не найден")
	}
	if err != nil {
		return d, fmt.Errorf("latest due of account %d: %w", accountID, err)
	}
	if d.Housing < 0 { // an advance on housing does not make capital repair cheaper
		d.Housing = 0
	}
	return d, nil
}

// CartLine is a line of a resident's cart.
type CartLine struct {
	ID            int64
	AccountID     int64
	AccountNumber string
	Address       string
	Purpose       string
	DocumentID    *int64
	Period        *time.Time
	Amount        int64
}

// AddAccountToCart puts account accountID, which the resident must have linked and proven, in the
// cart: its latest document's sum, capital repair as a line of its own. A line already in the cart
// takes the new sum. It returns how many lines it wrote (none when nothing is due).
func AddAccountToCart(ctx context.Context, db DBTX, residentID, accountID int64) (int, error) {
	tag, err := db.Exec(ctx, `
		WITH due(a_id, number, d_id, period, housing, capital) AS (`+latestDueSQL+`)
		INSERT INTO cart_lines (resident_id, account_id, purpose, document_id, period, amount)
		SELECT $2, due.a_id, l.purpose, due.d_id, due.period, l.amount
		FROM due CROSS JOIN LATERAL (VALUES ('housing', greatest(due.housing, 0)), ('capital_repair', due.capital)) l(purpose, amount)
		WHERE l.amount > 0
		  AND EXISTS (SELECT 1 FROM resident_accounts ra WHERE ra.resident_id = $2 AND ra.account_id = $1 AND ra.verified_at IS NOT NULL)
		ON CONFLICT (resident_id, account_id, purpose) DO UPDATE
		SET amount = excluded.amount, document_id = excluded.document_id, period = excluded.period`, accountID, residentID)
	if err != nil {
		return 0, fmt.Errorf("add account %d to the cart: %w", accountID, err)
	}
	return int(tag.RowsAffected()), nil
}

// Cart lists the resident's cart, accounts the resident no longer has linked left out.
func Cart(ctx context.Context, db DBTX, residentID int64) ([]CartLine, error) {
	rows, err := db.Query(ctx, `
		SELECT c.id, c.account_id, a.number, h.address || ', кв. ' || p.number, c.purpose, c.document_id, c.period, c.amount
		FROM cart_lines c
		JOIN resident_accounts ra ON ra.resident_id = c.resident_id AND ra.account_id = c.account_id AND ra.verified_at IS NOT NULL
		JOIN accounts a ON a.id = c.account_id JOIN premises p ON p.id = a.premises_id JOIN houses h ON h.id = p.house_id
		WHERE c.resident_id = $1 ORDER BY a.number, c.purpose DESC`, residentID)
	if err != nil {
		return nil, fmt.Errorf("cart of resident %d: %w", residentID, err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[CartLine])
}

// MaxLineAmount bounds one line's sum (1 000 000 ₽): a typo, not a payment.
const MaxLineAmount = 100_000_000

// SetCartLineAmount changes the sum of one of the resident's cart lines.
func SetCartLineAmount(ctx context.Context, db DBTX, residentID, lineID, amount int64) error {
	if amount <= 0 || amount > MaxLineAmount {
		return apperr.Invalidf("cart", "Сумма должна быть больше нуля и не больше 1 000 000 ₽.")
	}
	tag, err := db.Exec(ctx, `UPDATE cart_lines SET amount = $3 WHERE id = $2 AND resident_id = $1`, residentID, lineID, amount)
	if err != nil {
		return fmt.Errorf("set cart line %d: %w", lineID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.NotFound, "cart", "Такой строки в корзине нет.")
	}
	return nil
}

// RemoveCartLine deletes one of the resident's cart lines; removing a missing line is harmless.
func RemoveCartLine(ctx context.Context, db DBTX, residentID, lineID int64) error {
	if _, err := db.Exec(ctx, `DELETE FROM cart_lines WHERE id = $2 AND resident_id = $1`, residentID, lineID); err != nil {
		return fmt.Errorf("remove cart line %d: %w", lineID, err)
	}
	return nil
}

// OrderLine is a line of an order: what one account is paid for one purpose.
type OrderLine struct {
	LineNo     int
	AccountID  int64
	Purpose    string
	DocumentID *int64
	Period     *time.Time
	Amount     int64
	// PaymentID is the registry payment the line was matched to; nil while provisional.
	PaymentID *int64
}

// Order is an online payment order.
type Order struct {
	ID              int64
	Number          string
	ResidentID      *int64
	State           model.OrderState
	Amount          int64
	AcquirerOrderID *string
	FormURL         *string
	CreatedAt       time.Time
	RegisteredAt    *time.Time
	PaidAt          *time.Time
	StatusCheckedAt *time.Time
	Lines           []OrderLine
}

// OperationID is what the bank registry carries as the operation id of an order's line: the
// order number, a dash and the line number ("K7Q2…-1"). It is the matching key, with the account
// and the amount.
func OperationID(orderNumber string, lineNo int) string {
	return fmt.Sprintf("%s-%d", orderNumber, lineNo)
}

// CreateOrder stores an order of lines (1 to 99, each with a positive amount) under number. The
// caller proved every account. residentID is nil for a payment without login.
func CreateOrder(ctx context.Context, db DBTX, residentID *int64, number string, lines []OrderLine) (Order, error) {
	const op = "create order"
	if len(lines) == 0 || len(lines) > 99 {
		return Order{}, apperr.Invalidf(op, "В заказе должно быть от 1 до 99 строк.")
	}
	var total int64
	for i := range lines {
		if lines[i].Amount <= 0 || lines[i].Amount > MaxLineAmount {
			return Order{}, apperr.Invalidf(op, "Сумма должна быть больше нуля и не больше 1 000 000 ₽.")
		}
		if lines[i].Purpose != PurposeHousing && lines[i].Purpose != PurposeCapitalRepair {
			return Order{}, apperr.Invalidf(op, "line %d: purpose %q", i+1, lines[i].Purpose)
		}
		lines[i].LineNo = i + 1
		total += lines[i].Amount
	}
	o := Order{Number: number, ResidentID: residentID, State: model.OrderCreated, Amount: total, Lines: lines}
	if err := db.QueryRow(ctx, `INSERT INTO acquiring_orders (order_number, resident_id, amount) VALUES ($1, $2, $3)
		RETURNING id, created_at`, number, residentID, total).Scan(&o.ID, &o.CreatedAt); err != nil {
		if isUniqueViolation(err) {
			return o, apperr.Wrap(apperr.Conflict, op, err)
		}
		return o, fmt.Errorf("%s %s: %w", op, number, err)
	}
	b := &pgx.Batch{}
	for _, l := range lines {
		b.Queue(`INSERT INTO acquiring_order_lines (order_id, line_no, account_id, purpose, document_id, period, amount)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.ID, l.LineNo, l.AccountID, l.Purpose, l.DocumentID, l.Period, l.Amount)
	}
	if err := db.SendBatch(ctx, b).Close(); err != nil {
		return o, fmt.Errorf("%s %s: lines: %w", op, number, err)
	}
	return o, nil
}

// CheckoutCart turns the resident's cart into an order under number. The cart stays until the
// order is registered (ClearCart), so a failed registration loses nothing. An empty cart is Invalid.
func CheckoutCart(ctx context.Context, tx DBTX, residentID int64, number string) (Order, error) {
	cart, err := Cart(ctx, tx, residentID)
	if err != nil {
		return Order{}, err
	}
	if len(cart) == 0 {
		return Order{}, apperr.Invalidf("checkout", "Корзина пуста.")
	}
	lines := make([]OrderLine, len(cart))
	for i, c := range cart {
		lines[i] = OrderLine{AccountID: c.AccountID, Purpose: c.Purpose, DocumentID: c.DocumentID, Period: c.Period, Amount: c.Amount}
	}
	return CreateOrder(ctx, tx, &residentID, number, lines)
}

// ClearCart empties the resident's cart (after its order was registered with the acquirer).
func ClearCart(ctx context.Context, db DBTX, residentID int64) error {
	if _, err := db.Exec(ctx, `DELETE FROM cart_lines WHERE resident_id = $1`, residentID); err != nil {
		return fmt.Errorf("clear the cart of resident %d: %w", residentID, err)
	}
	return nil
}

// SetOrderRegistered records the acquirer's order id and payment page.
func SetOrderRegistered(ctx context.Context, db DBTX, orderID int64, acquirerID, formURL string, now time.Time) error {
	tag, err := db.Exec(ctx, `UPDATE acquiring_orders SET state = 'registered', acquirer_order_id = $2, form_url = $3, registered_at = $4
		WHERE id = $1 AND state = 'created'`, orderID, acquirerID, formURL, now)
	if err != nil {
		return fmt.Errorf("order %d registered: %w", orderID, err)
	}
	if tag.RowsAffected() == 0 {
		return apperr.E(apperr.Conflict, "order registered", fmt.Sprintf("order %d is not in state created", orderID))
	}
	return nil
}

const orderColumns = `id, order_number, resident_id, state, amount, acquirer_order_id, form_url, created_at, registered_at, paid_at, status_checked_at`

func scanOrder(row pgx.Row) (Order, error) {
	var o Order
	err := row.Scan(&o.ID, &o.Number, &o.ResidentID, &o.State, &o.Amount, &o.AcquirerOrderID, &o.FormURL, &o.CreatedAt, &o.RegisteredAt, &o.PaidAt, &o.StatusCheckedAt)
	return o, err
}

// OrderByNumber returns an order with its lines; NotFound when there is none.
func OrderByNumber(ctx context.Context, db DBTX, number string) (Order, error) {
	return orderWhere(ctx, db, "order_number = $1", number)
}

// OrderByAcquirerID returns an order by the acquirer's order id (mdOrder), with its lines.
func OrderByAcquirerID(ctx context.Context, db DBTX, acquirerID string) (Order, error) {
	return orderWhere(ctx, db, "acquirer_order_id = $1", acquirerID)
}

func orderWhere(ctx context.Context, db DBTX, where string, arg any) (Order, error) {
	o, err := scanOrder(db.QueryRow(ctx, `SELECT `+orderColumns+` FROM acquiring_orders WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return o, apperr.E(apperr.NotFound, "order", "Заказ не найден.")
	}
	if err != nil {
		return o, fmt.Errorf("order %v: %w", arg, err)
	}
	rows, err := db.Query(ctx, `SELECT line_no, account_id, purpose, document_id, period, amount, payment_id
		FROM acquiring_order_lines WHERE order_id = $1 ORDER BY line_no`, o.ID)
	if err != nil {
		return o, fmt.Errorf("lines of order %d: %w", o.ID, err)
	}
	o.Lines, err = pgx.CollectRows(rows, pgx.RowToStructByPos[OrderLine])
	if err != nil {
		return o, fmt.Errorf("lines of order %d: %w", o.ID, err)
	}
	return o, nil
}

// LogCallback records a verified callback once per (order, operation, status) and tells whether
// it is new; a duplicate adds nothing.
func LogCallback(ctx context.Context, db DBTX, orderID int64, operation string, success bool, params map[string]string) (bool, error) {
	raw, err := json.Marshal(params)
	if err != nil {
		return false, fmt.Errorf("log callback: %w", err)
	}
	status := 0
	if success {
		status = 1
	}
	tag, err := db.Exec(ctx, `INSERT INTO acquiring_callbacks (order_id, operation, status, params) VALUES ($1, $2, $3, $4)
		ON CONFLICT (order_id, operation, status) DO NOTHING`, orderID, operation, status, raw)
	if err != nil {
		return false, fmt.Errorf("log callback of order %d: %w", orderID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CallbackCount counts the logged callbacks of an order (tests, console).
func CallbackCount(ctx context.Context, db DBTX, orderID int64) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM acquiring_callbacks WHERE order_id = $1`, orderID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count callbacks of order %d: %w", orderID, err)
	}
	return n, nil
}

// ApplyPaymentEvent moves an order by ev (model.NextOrderState), in the caller's transaction: the
// order's row is locked, so a callback and a status query arriving together apply one after the
// other. A paid order's lines are matched at once to registry payments that arrived first. It
// returns the order's state before and after.
func ApplyPaymentEvent(ctx context.Context, tx DBTX, orderID int64, ev model.PaymentEvent, now time.Time) (before, after model.OrderState, err error) {
	if err := tx.QueryRow(ctx, `SELECT state FROM acquiring_orders WHERE id = $1 FOR UPDATE`, orderID).Scan(&before); err != nil {
		return before, before, fmt.Errorf("apply %s to order %d: %w", ev, orderID, err)
	}
	after = model.NextOrderState(before, ev)
	if after == before {
		return before, after, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE acquiring_orders SET state = $2,
		paid_at = CASE WHEN $2 IN ('paid', 'deposited') THEN coalesce(paid_at, $3) ELSE paid_at END,
		final_at = CASE WHEN $2 IN ('deposited', 'declined', 'refunded', 'expired') THEN $3 ELSE final_at END,
		refunded_amount = CASE WHEN $2 = 'refunded' THEN amount ELSE refunded_amount END
		WHERE id = $1`, orderID, string(after), now); err != nil {
		return before, after, fmt.Errorf("apply %s to order %d: %w", ev, orderID, err)
	}
	if after.Counts() && !before.Counts() {
		if _, err := matchLines(ctx, tx, `l.order_id = $1`, orderID); err != nil {
			return before, after, err
		}
	}
	return before, after, nil
}

// OrderToCheck is an order whose outcome the acquirer has not told by callback in time.
type OrderToCheck struct {
	ID              int64
	Number          string
	AcquirerOrderID string
}

// OrdersToCheck lists orders registered before olderThan and not final (the callback is late or
// lost), those not checked since checkedBefore, oldest first.
func OrdersToCheck(ctx context.Context, db DBTX, olderThan, checkedBefore time.Time, limit int) ([]OrderToCheck, error) {
	rows, err := db.Query(ctx, `
		SELECT id, order_number, acquirer_order_id FROM acquiring_orders
		WHERE state IN ('registered', 'paid') AND registered_at < $1 AND acquirer_order_id IS NOT NULL
		  AND (status_checked_at IS NULL OR status_checked_at < $2)
		ORDER BY registered_at LIMIT $3`, olderThan, checkedBefore, limit)
	if err != nil {
		return nil, fmt.Errorf("orders to check: %w", err)
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OrderToCheck])
}

// MarkStatusChecked records that the acquirer was asked about the order at now.
func MarkStatusChecked(ctx context.Context, db DBTX, orderID int64, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE acquiring_orders SET status_checked_at = $2 WHERE id = $1`, orderID, now); err != nil {
		return fmt.Errorf("order %d status checked: %w", orderID, err)
	}
	return nil
}

// matchLinesSQL links provisional order lines to the payment a bank registry made of the same
// operation: operation id = order number, "-", line number; same account; same amount. A line
// whose order was declined or expired is matched too (the bank's registry says the money came),
// and its order becomes deposited. The matched accounts' balances are refreshed in the same
// statement's transaction by the caller.
const matchLinesSQL = `
	WITH m AS (
		SELECT DISTINCT ON (l.order_id, l.line_no) l.order_id, l.line_no, l.account_id, p.id AS payment_id
		FROM acquiring_order_lines l
		JOIN acquiring_orders o ON o.id = l.order_id
		JOIN payments p ON p.account_id = l.account_id AND p.amount = l.amount
			AND p.operation_id = o.order_number || '-' || l.line_no AND p.source <> 'acquiring'
		WHERE l.payment_id IS NULL AND %s
			AND NOT EXISTS (SELECT 1 FROM acquiring_order_lines x WHERE x.payment_id = p.id)
		ORDER BY l.order_id, l.line_no, p.id
	), upd AS (
		UPDATE acquiring_order_lines l SET payment_id = m.payment_id, matched_at = now()
		FROM m WHERE l.order_id = m.order_id AND l.line_no = m.line_no
		RETURNING l.order_id, l.account_id
	), ord AS (
		UPDATE acquiring_orders o SET state = 'deposited', paid_at = coalesce(o.paid_at, now()), final_at = now()
		WHERE o.id IN (SELECT order_id FROM upd) AND o.state IN ('created', 'registered', 'declined', 'expired')
		RETURNING o.id
	)
	SELECT DISTINCT account_id FROM upd`

// matchLines matches the provisional lines chosen by where ($1 its argument) and refreshes the
// balances of their accounts; it returns how many accounts it touched.
func matchLines(ctx context.Context, tx DBTX, where string, arg any) (int, error) {
	rows, err := tx.Query(ctx, fmt.Sprintf(matchLinesSQL, where), arg)
	if err != nil {
		return 0, fmt.Errorf("match online payments: %w", err)
	}
	accounts, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("match online payments: %w", err)
	}
	if len(accounts) == 0 {
		return 0, nil
	}
	if _, err := tx.Exec(ctx, refreshBalancesHead+` WHERE a.id = ANY($1)`+refreshBalancesTail, accounts); err != nil {
		return 0, fmt.Errorf("match online payments: refresh balances: %w", err)
	}
	return len(accounts), nil
}

// MatchRegistryOnlinePayments matches the provisional online payments that bank registry
// registryID brought, in the registry's posting transaction, so the money counts once: as the
// online payment before, as the registry payment after. It returns how many accounts were matched.
func MatchRegistryOnlinePayments(ctx context.Context, tx DBTX, registryID int64) (int, error) {
	return matchLines(ctx, tx, `p.registry_id = $1`, registryID)
}

// OnlinePayment is a provisional payment: a line of a paid order not yet matched to the bank's
// registry. It counts as paid at once («принят банком»).
type OnlinePayment struct {
	OrderNumber string
	PaidAt      time.Time
	Purpose     string
	Period      *time.Time
	Amount      int64
}

// ProvisionalPayments lists the provisional online payments of an account, newest first, and
// their sum. Once the registry brings a line's operation the line is matched and leaves this list:
// the registry payment stands for it.
func ProvisionalPayments(ctx context.Context, db DBTX, accountID int64) ([]OnlinePayment, int64, error) {
	rows, err := db.Query(ctx, `
		SELECT o.order_number, o.paid_at, l.purpose, l.period, l.amount
		FROM acquiring_order_lines l JOIN acquiring_orders o ON o.id = l.order_id
		WHERE l.account_id = $1 AND l.payment_id IS NULL AND o.state IN ('paid', 'deposited')
		ORDER BY o.paid_at DESC, l.line_no`, accountID)
	if err != nil {
		return nil, 0, fmt.Errorf("provisional payments of account %d: %w", accountID, err)
	}
	list, err := pgx.CollectRows(rows, pgx.RowToStructByPos[OnlinePayment])
	if err != nil {
		return nil, 0, fmt.Errorf("provisional payments of account %d: %w", accountID, err)
	}
	var sum int64
	for _, p := range list {
		sum += p.Amount
	}
	return list, sum, nil
}

// OrderStateOf returns an order's state.
func OrderStateOf(ctx context.Context, db DBTX, orderID int64) (model.OrderState, error) {
	var s model.OrderState
	if err := db.QueryRow(ctx, `SELECT state FROM acquiring_orders WHERE id = $1`, orderID).Scan(&s); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return s, apperr.E(apperr.NotFound, "order", "Заказ не найден.")
		}
		return s, fmt.Errorf("state of order %d: %w", orderID, err)
	}
	return s, nil
}
