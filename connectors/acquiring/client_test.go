package acquiring_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/acquiringtest"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// merchant records the callbacks it receives, verified with the shared secret.
type merchant struct {
	mu  sync.Mutex
	got []acquiring.Callback
	bad int
	srv *httptest.Server
}

func newMerchant(t *testing.T) *merchant {
	m := &merchant{}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cb, err := acquiring.ParseCallback([]byte(acquiringtest.Secret), r.URL.Query())
		m.mu.Lock()
		defer m.mu.Unlock()
		if err != nil {
			m.bad++
			w.WriteHeader(apperr.HTTPStatus(err))
			return
		}
		m.got = append(m.got, cb)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *merchant) ops() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, c := range m.got {
		out = append(out, string(c.Operation))
	}
	return out
}

func TestClientAgainstSimulator(t *testing.T) {
	ctx := context.Background()
	m := newMerchant(t)
	e := acquiringtest.Start(t, acquiringtest.Options{CallbackURL: m.srv.URL + "/cb"})
	reg, err := e.Client.Register(ctx, acquiring.Order{Number: "ORDER1", Amount: 123456, ReturnURL: "http://merchant/return", Description: "ЖКУ"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(reg.FormURL, e.URL+"/payment/merchants/sim/payment_ru.html?mdOrder=") {
		t.Errorf("formUrl = %s", reg.FormURL)
	}
	st, err := e.Client.Status(ctx, reg.OrderID)
	if err != nil || st.OrderStatus != acquiring.StatusRegistered || st.Amount != 123456 || st.OrderNumber != "ORDER1" {
		t.Fatalf("status before payment = %+v, %v", st, err)
	}
	// The same order number again is refused for good.
	if _, err := e.Client.Register(ctx, acquiring.Order{Number: "ORDER1", Amount: 1, ReturnURL: "http://x"}); !apperr.Is(err, apperr.Conflict) {
		t.Errorf("second register: %v, want Conflict", err)
	}
	if err := e.Sim.Pay("ORDER1"); err != nil {
		t.Fatal(err)
	}
	st, err = e.Client.Status(ctx, reg.OrderID)
	if err != nil || st.OrderStatus != acquiring.StatusDeposited || st.PaymentAmountInfo.DepositedAmount != 123456 {
		t.Fatalf("status after payment = %+v, %v", st, err)
	}
	if got := strings.Join(m.ops(), ","); got != "approved,deposited" {
		t.Errorf("callbacks = %s", got)
	}
	if err := e.Client.Refund(ctx, reg.OrderID, 200000); !apperr.Is(err, apperr.Unavailable) && !apperr.Is(err, apperr.Invalid) {
		t.Errorf("refund above the amount: %v", err)
	}
	if err := e.Client.Refund(ctx, reg.OrderID, 123456); err != nil {
		t.Fatal(err)
	}
	st, _ = e.Client.Status(ctx, reg.OrderID)
	if st.OrderStatus != acquiring.StatusRefunded || st.PaymentAmountInfo.RefundedAmount != 123456 {
		t.Errorf("status after refund = %+v", st)
	}
	if got := strings.Join(m.ops(), ","); got != "approved,deposited,refunded" {
		t.Errorf("callbacks = %s", got)
	}
}

func TestCallbackFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults sim.Faults
		want   string
		bad    int
	}{
		{"normal", sim.Faults{}, "approved,deposited", 0},
		{"duplicate", sim.Faults{Duplicate: true}, "approved,approved,deposited,deposited", 0},
		{"lost", sim.Faults{Lose: true}, "", 0},
		{"out of order", sim.Faults{OutOfOrder: true}, "deposited,approved", 0},
		{"bad checksum", sim.Faults{BadChecksum: true}, "", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMerchant(t)
			e := acquiringtest.Start(t, acquiringtest.Options{CallbackURL: m.srv.URL, Faults: tc.faults})
			if _, err := e.Client.Register(context.Background(), acquiring.Order{Number: "N1", Amount: 100, ReturnURL: "http://r"}); err != nil {
				t.Fatal(err)
			}
			if err := e.Sim.Pay("N1"); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(m.ops(), ","); got != tc.want || m.bad != tc.bad {
				t.Errorf("callbacks = %q (bad %d), want %q (bad %d)", got, m.bad, tc.want, tc.bad)
			}
		})
	}
	t.Run("held until released", func(t *testing.T) {
		m := newMerchant(t)
		e := acquiringtest.Start(t, acquiringtest.Options{CallbackURL: m.srv.URL, Faults: sim.Faults{Hold: true}})
		e.Client.Register(context.Background(), acquiring.Order{Number: "N2", Amount: 100, ReturnURL: "http://r"})
		e.Sim.Pay("N2")
		if len(m.ops()) != 0 {
			t.Fatalf("callbacks before release: %v", m.ops())
		}
		e.Sim.Release()
		if got := strings.Join(m.ops(), ","); got != "approved,deposited" {
			t.Errorf("callbacks after release = %q", got)
		}
	})
}

func TestClientErrorsAreClassified(t *testing.T) {
	ctx := context.Background()
	e := acquiringtest.Start(t, acquiringtest.Options{})
	wrong, _ := acquiring.New(acquiring.Config{BaseURL: e.URL, UserName: "x", Password: "y", Secret: []byte("s")})
	if _, err := wrong.Register(ctx, acquiring.Order{Number: "A", Amount: 1, ReturnURL: "http://r"}); !apperr.Is(err, apperr.Permission) {
		t.Errorf("wrong credentials: %v, want Permission", err)
	}
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer down.Close()
	c, _ := acquiring.New(acquiring.Config{BaseURL: down.URL, UserName: "x", Password: "y", Secret: []byte("s")})
	if _, err := c.Status(ctx, "id"); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("HTTP 502: %v, want Unavailable", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	c, _ = acquiring.New(acquiring.Config{BaseURL: closed.URL, UserName: "x", Password: "y", Secret: []byte("s")})
	if _, err := c.Status(ctx, "id"); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("connection refused: %v, want Unavailable", err)
	}
	if _, err := e.Client.Status(ctx, "no-such-order"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("unknown order: %v, want Invalid", err)
	}
	if _, err := acquiring.New(acquiring.Config{BaseURL: "ftp://x", UserName: "a", Password: "b", Secret: []byte("c")}); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad URL: %v", err)
	}
}

func TestChecksum(t *testing.T) {
	secret := []byte("key")
	v := url.Values{"operation": {"deposited"}, "mdOrder": {"m-1"}, "orderNumber": {"N"}, "status": {"1"}}
	sum := acquiring.Checksum(secret, v)
	// The checksum signs "mdOrder;m-1;operation;deposited;orderNumber;N;status;1;", in key order.
	if len(sum) != 64 || strings.ToUpper(sum) != sum {
		t.Fatalf("checksum %q: want 64 upper-case hex digits", sum)
	}
	for name, tc := range map[string]struct {
		mutate func(url.Values)
		kind   apperr.Kind
	}{
		"valid":           {func(url.Values) {}, apperr.Internal},
		"lower-case hex":  {func(v url.Values) { v.Set("checksum", strings.ToLower(v.Get("checksum"))) }, apperr.Internal},
		"tampered amount": {func(v url.Values) { v.Set("orderNumber", "M") }, apperr.Permission},
		"no checksum":     {func(v url.Values) { v.Del("checksum") }, apperr.Permission},
		"repeated param":  {func(v url.Values) { v.Add("status", "1") }, apperr.Invalid},
		"extra param":     {func(v url.Values) { v.Set("amount", "1") }, apperr.Permission},
		"unknown operation": {func(v url.Values) {
			v.Set("operation", "paid")
			v.Set("checksum", acquiring.Checksum(secret, v))
		}, apperr.Invalid},
	} {
		t.Run(name, func(t *testing.T) {
			w := url.Values{}
			for k, vs := range v {
				w[k] = append([]string(nil), vs...)
			}
			w.Set("checksum", sum)
			tc.mutate(w)
			cb, err := acquiring.ParseCallback(secret, w)
			if tc.kind == apperr.Internal {
				if err != nil || cb.Operation != acquiring.OpDeposited || !cb.Success || cb.OrderID != "m-1" {
					t.Fatalf("= %+v, %v", cb, err)
				}
				return
			}
			if !apperr.Is(err, tc.kind) {
				t.Errorf("error %v, want kind %v", err, tc.kind)
			}
		})
	}
}

// TestPaymentPageStates: the simulator's card form sends a 3-D Secure card to
// the code page, and the same form posted again (back button, double click)
// says the order waits for the code — not that it does not exist.
func TestPaymentPageStates(t *testing.T) {
	ctx := context.Background()
	e := acquiringtest.Start(t, acquiringtest.Options{CallbackURL: newMerchant(t).srv.URL + "/cb"})
	reg, err := e.Client.Register(ctx, acquiring.Order{Number: "ORDER3DS", Amount: 924679, ReturnURL: "http://merchant/return"})
	if err != nil {
		t.Fatal(err)
	}
	post := func() string {
		t.Helper()
		resp, err := http.PostForm(e.URL+"/payment/sim/card", url.Values{"mdOrder": {reg.OrderID}, "pan": {sim.Card3DS}, "exp": {"12/30"}, "cvc": {"123"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if body := post(); !strings.Contains(body, "Подтверждение платежа") {
		t.Fatalf("3-D Secure card: no code page\n%.800s", body)
	}
	if body := post(); !strings.Contains(body, "ждёт кода подтверждения") || strings.Contains(body, "не найден") {
		t.Errorf("the form posted again:\n%.800s", body)
	}
}
