// Package acquiring is the client of an internet-acquiring gateway in the
// shape of Sber's payment gateway (the one most settlement centers use):
// register.do registers an order and returns the payment page's URL,
// getOrderStatusExtended.do tells an order's state, refund.do returns money,
// and the gateway notifies the merchant by a callback signed with
// HMAC-SHA256 over its sorted parameters. sim/ is a simulator speaking the
// same protocol; acquiringtest/ starts it for tests.
//
// Errors are apperr kinds: Unavailable for what may pass (network, HTTP 5xx,
// the gateway's system error 7), Invalid, Conflict or Permission for what
// will not (a refused parameter, an order number used before, wrong
// credentials).
package acquiring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Paths of the gateway's REST API, relative to the base URL.
const (
	PathRegister = "/payment/rest/register.do"
	PathStatus   = "/payment/rest/getOrderStatusExtended.do"
	PathRefund   = "/payment/rest/refund.do"
)

// Config says how to reach the gateway.
type Config struct {
	// BaseURL is the gateway, e.g. https://securepayments.sberbank.ru (no trailing slash).
	BaseURL string
	// UserName and Password are the merchant's API credentials (…-api login).
	UserName, Password string
	// Secret is the symmetric key of callback checksums.
	Secret []byte
	// HTTPClient makes the calls; a client with a 30 s timeout when nil.
	HTTPClient *http.Client
}

// Client talks to the gateway.
type Client struct {
	cfg Config
	hc  *http.Client
}

// New checks cfg and returns a client.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" || cfg.UserName == "" || cfg.Password == "" || len(cfg.Secret) == 0 {
		return nil, apperr.Invalidf("acquiring", "BaseURL, UserName, Password and Secret are all required")
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, apperr.Invalidf("acquiring", "base URL %q: want http(s)://host", cfg.BaseURL)
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	return &Client{cfg: cfg, hc: hc}, nil
}

// VerifyCallback parses and verifies a callback with the client's secret.
func (c *Client) VerifyCallback(params url.Values) (Callback, error) {
	return ParseCallback(c.cfg.Secret, params)
}

// Order is what Register sends.
type Order struct {
	// Number is the merchant's order number, unique for ever (up to 32 characters).
	Number string
	// Amount is in kopecks.
	Amount int64
	// ReturnURL and FailURL are where the payer's browser goes afterwards; FailURL defaults to ReturnURL.
	ReturnURL, FailURL string
	// CallbackURL, when set, is sent as dynamicCallbackUrl.
	CallbackURL string
	Description string
	// Timeout is how long the payer has (sessionTimeoutSecs); the gateway's default (20 min) when zero.
	Timeout time.Duration
}

// Registered is the gateway's answer to Register.
type Registered struct {
	// OrderID is the gateway's id of the order (mdOrder in callbacks).
	OrderID string `json:"orderId"`
	// FormURL is the payment page to send the payer to.
	FormURL string `json:"formUrl"`
}

// answer is the error part every method's answer shares.
type answer struct {
	ErrorCode    json.RawMessage `json:"errorCode"`
	ErrorMessage string          `json:"errorMessage"`
}

// code reads errorCode, which the gateway sends as a string or a number (absent: 0).
func (a answer) code() int {
	s := strings.Trim(string(a.ErrorCode), `"`)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// check turns a gateway error code into an apperr: 1 a used order number
// (Conflict), 5 access denied or a refused value (Permission or Invalid), 7
// the gateway's own failure (Unavailable), others Invalid.
func (a answer) check(op string) error {
	switch c := a.code(); c {
	case 0:
		return nil
	case 1:
		return apperr.Wrap(apperr.Conflict, op, fmt.Errorf("gateway error 1: %s", a.ErrorMessage))
	case 5:
		if strings.Contains(strings.ToLower(a.ErrorMessage), "доступ") || strings.Contains(strings.ToLower(a.ErrorMessage), "access") {
			return apperr.Wrap(apperr.Permission, op, fmt.Errorf("gateway error 5: %s", a.ErrorMessage))
		}
		return apperr.Wrap(apperr.Invalid, op, fmt.Errorf("gateway error 5: %s", a.ErrorMessage))
	case 7:
		return apperr.Wrap(apperr.Unavailable, op, fmt.Errorf("gateway error 7: %s", a.ErrorMessage))
	default:
		return apperr.Wrap(apperr.Invalid, op, fmt.Errorf("gateway error %d: %s", c, a.ErrorMessage))
	}
}

// Register registers an order and returns the payment page's URL.
func (c *Client) Register(ctx context.Context, o Order) (Registered, error) {
	const op = "acquiring register"
	if o.Number == "" || len(o.Number) > 32 || o.Amount <= 0 || o.ReturnURL == "" {
		return Registered{}, apperr.Invalidf(op, "order needs a number of 1-32 characters, a positive amount and a return URL")
	}
	v := url.Values{"orderNumber": {o.Number}, "amount": {strconv.FormatInt(o.Amount, 10)}, "currency": {"643"},
		"returnUrl": {o.ReturnURL}, "language": {"ru"}}
	if o.FailURL != "" {
		v.Set("failUrl", o.FailURL)
	}
	if o.CallbackURL != "" {
		v.Set("dynamicCallbackUrl", o.CallbackURL)
	}
	if o.Description != "" {
		v.Set("description", truncate(o.Description, 500))
	}
	if o.Timeout > 0 {
		v.Set("sessionTimeoutSecs", strconv.Itoa(int(o.Timeout.Seconds())))
	}
	var out struct {
		answer
		Registered
	}
	if err := c.call(ctx, op, PathRegister, v, &out); err != nil {
		return Registered{}, err
	}
	if err := out.check(op); err != nil {
		return Registered{}, err
	}
	if out.OrderID == "" || out.FormURL == "" {
		return Registered{}, apperr.Wrap(apperr.Unavailable, op, errors.New("gateway answered without orderId or formUrl"))
	}
	return out.Registered, nil
}

// OrderStatus is the gateway's orderStatus.
type OrderStatus int

// The gateway's order statuses.
const (
	StatusRegistered OrderStatus = 0 // registered, not paid
	StatusApproved   OrderStatus = 1 // amount held (two-stage)
	StatusDeposited  OrderStatus = 2 // paid
	StatusReversed   OrderStatus = 3 // hold cancelled
	StatusRefunded   OrderStatus = 4 // refunded
	StatusACS        OrderStatus = 5 // 3-D Secure in progress
	StatusDeclined   OrderStatus = 6 // declined (also: expired, actionCode -2007)
)

// ActionExpired is the actionCode of an order whose payment time ran out.
const ActionExpired = -2007

// Status is what getOrderStatusExtended.do tells.
type Status struct {
	OrderNumber string      `json:"orderNumber"`
	OrderStatus OrderStatus `json:"orderStatus"`
	ActionCode  int         `json:"actionCode"`
	// ActionCodeDescription explains a decline, in Russian.
	ActionCodeDescription string `json:"actionCodeDescription"`
	Amount                int64  `json:"amount"`
	// Date is the registration time, in Unix milliseconds.
	Date              int64 `json:"date"`
	PaymentAmountInfo struct {
		PaymentState    string `json:"paymentState"`
		ApprovedAmount  int64  `json:"approvedAmount"`
		DepositedAmount int64  `json:"depositedAmount"`
		RefundedAmount  int64  `json:"refundedAmount"`
	} `json:"paymentAmountInfo"`
}

// Status asks for an order's state by the gateway's order id.
func (c *Client) Status(ctx context.Context, orderID string) (Status, error) {
	const op = "acquiring status"
	var out struct {
		answer
		Status
	}
	if err := c.call(ctx, op, PathStatus, url.Values{"orderId": {orderID}, "language": {"ru"}}, &out); err != nil {
		return Status{}, err
	}
	if err := out.check(op); err != nil {
		return Status{}, err
	}
	return out.Status, nil
}

// Refund returns amount kopecks of a deposited order to the payer.
func (c *Client) Refund(ctx context.Context, orderID string, amount int64) error {
	const op = "acquiring refund"
	if amount <= 0 {
		return apperr.Invalidf(op, "amount %d: want a positive number of kopecks", amount)
	}
	var out answer
	if err := c.call(ctx, op, PathRefund, url.Values{"orderId": {orderID}, "amount": {strconv.FormatInt(amount, 10)}}, &out); err != nil {
		return err
	}
	return out.check(op)
}

// call POSTs a form with the credentials and decodes the JSON answer.
func (c *Client) call(ctx context.Context, op, path string, v url.Values, out any) error {
	v.Set("userName", c.cfg.UserName)
	v.Set("password", c.cfg.Password)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.BaseURL+path, strings.NewReader(v.Encode()))
	if err != nil {
		return apperr.Wrap(apperr.Invalid, op, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, op, err)
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return apperr.Wrap(apperr.Unavailable, op, fmt.Errorf("HTTP %d", resp.StatusCode))
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return apperr.Wrap(apperr.Permission, op, fmt.Errorf("HTTP %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return apperr.Wrap(apperr.Invalid, op, fmt.Errorf("HTTP %d", resp.StatusCode))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return apperr.Wrap(apperr.Unavailable, op, fmt.Errorf("answer is not JSON: %w", err))
	}
	return nil
}
