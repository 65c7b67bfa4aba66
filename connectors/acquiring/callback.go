package acquiring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Operation is what a callback reports, in the gateway's words.
type Operation string

// The operations of Sber's callbacks.
const (
	OpApproved          Operation = "approved"          // money held on the card
	OpDeposited         Operation = "deposited"         // money taken (one-stage payment, or completion)
	OpReversed          Operation = "reversed"          // hold released before deposit
	OpRefunded          Operation = "refunded"          // money returned after deposit
	OpDeclinedByTimeout Operation = "declinedByTimeout" // the payer did not pay in time
)

func knownOperation(op Operation) bool {
	switch op {
	case OpApproved, OpDeposited, OpReversed, OpRefunded, OpDeclinedByTimeout:
		return true
	}
	return false
}

// Callback is a verified notification from the gateway.
type Callback struct {
	// OrderID is the gateway's order id (mdOrder).
	OrderID string
	// OrderNumber is the merchant's order number.
	OrderNumber string
	Operation   Operation
	// Success is status=1; status=0 reports an operation that failed.
	Success bool
	// Params are every parameter received, checksum excluded (kept in the callback log).
	Params map[string]string
}

// Checksum computes the callback checksum as the gateway does: every parameter
// but checksum, sorted by name, joined as "name;value;", HMAC-SHA256 under the
// shared secret, upper-case hex.
func Checksum(secret []byte, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "checksum" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	m := hmac.New(sha256.New, secret)
	for _, k := range keys {
		m.Write([]byte(k + ";" + params.Get(k) + ";"))
	}
	return strings.ToUpper(hex.EncodeToString(m.Sum(nil)))
}

// maxCallbackParams bounds what a callback may carry; the gateway sends a handful.
const maxCallbackParams = 32

// ParseCallback reads and verifies a callback's query (or form) parameters.
// A missing or wrong checksum is a Permission error; a malformed callback is
// Invalid, naming the parameter. The checksum is compared in constant time and
// case-insensitively (gateways differ in the case of their hex).
func ParseCallback(secret []byte, params url.Values) (Callback, error) {
	const op = "acquiring callback"
	if len(params) > maxCallbackParams {
		return Callback{}, apperr.Invalidf(op, "%d parameters, at most %d expected", len(params), maxCallbackParams)
	}
	for k, vs := range params {
		if len(vs) != 1 {
			return Callback{}, apperr.Invalidf(op, "parameter %q given %d times", k, len(vs))
		}
	}
	got := params.Get("checksum")
	if got == "" {
		return Callback{}, apperr.E(apperr.Permission, op, "callback without checksum")
	}
	want := Checksum(secret, params)
	if len(got) != len(want) || !hmac.Equal([]byte(strings.ToUpper(got)), []byte(want)) {
		return Callback{}, apperr.E(apperr.Permission, op, "callback checksum does not match")
	}
	c := Callback{OrderID: params.Get("mdOrder"), OrderNumber: params.Get("orderNumber"),
		Operation: Operation(params.Get("operation")), Params: map[string]string{}}
	for k := range params {
		if k != "checksum" {
			c.Params[k] = params.Get(k)
		}
	}
	switch {
	case c.OrderID == "" || len(c.OrderID) > 64:
		return c, apperr.Invalidf(op, "parameter mdOrder: want 1 to 64 characters")
	case c.OrderNumber == "" || len(c.OrderNumber) > 32:
		return c, apperr.Invalidf(op, "parameter orderNumber: want 1 to 32 characters")
	case !knownOperation(c.Operation):
		return c, apperr.Invalidf(op, "parameter operation %q: unknown", truncate(string(c.Operation), 40))
	}
	st, err := strconv.Atoi(params.Get("status"))
	if err != nil || (st != 0 && st != 1) {
		return c, apperr.Invalidf(op, "parameter status %q: want 0 or 1", truncate(params.Get("status"), 10))
	}
	c.Success = st == 1
	return c, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
