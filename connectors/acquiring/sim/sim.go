// Package sim is an internet-acquiring gateway simulator speaking the protocol
// of connectors/acquiring (Sber's payment gateway): register.do, a payment
// page in Russian with test cards and an СБП QR code, signed callbacks,
// getOrderStatusExtended.do and refund.do. Orders live in memory.
//
// Callbacks can be made to misbehave, as real ones do: duplicated, delayed or
// held until released, lost, sent out of order (deposited before approved),
// or with a bad checksum. The status query always tells the truth, which is
// how a merchant closes every gap the callbacks leave.
package sim

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/internal/payqr"
)

//go:embed templates/*.html
var templates embed.FS

// Test cards of the payment page.
const (
	CardSuccess  = "4111111111111111" // paid at once
	CardDeclined = "4000000000000002" // declined by the issuer
	Card3DS      = "5555555555554444" // asks for a 3-D Secure code (ACSCode) first
	ACSCode      = "12345"
)

// Faults make callbacks misbehave. The zero value sends each callback once, at once, correctly.
type Faults struct {
	// Duplicate sends every callback twice.
	Duplicate bool `json:"duplicate"`
	// Lose sends no callback at all.
	Lose bool `json:"lose"`
	// OutOfOrder sends deposited before approved.
	OutOfOrder bool `json:"out_of_order"`
	// BadChecksum corrupts the checksum.
	BadChecksum bool `json:"bad_checksum"`
	// Delay sends callbacks this long after the payment (late callbacks).
	Delay time.Duration `json:"delay"`
	// Hold keeps callbacks until Release is called (late callbacks, deterministically).
	Hold bool `json:"hold"`
}

// Config configures the simulator.
type Config struct {
	// UserName and Password are the merchant's API credentials the simulator accepts.
	UserName, Password string
	// Secret signs callbacks.
	Secret []byte
	// PublicURL is how browsers reach the simulator (formUrl); taken from the request when empty.
	PublicURL string
	// CallbackURL is the merchant's static callback URL, used when register.do carries no dynamicCallbackUrl.
	CallbackURL string
	// Faults are the callbacks' initial faults (SetFaults changes them).
	Faults Faults
	// SessionTimeout is how long a payer has when register.do does not say; 20 minutes when zero.
	SessionTimeout time.Duration
	// HTTPClient sends callbacks; a 10 s timeout client when nil.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Now is the clock (expiry); time.Now when nil.
	Now func() time.Time
}

// Delivery is one callback the simulator tried to send.
type Delivery struct {
	OrderNumber string
	Operation   acquiring.Operation
	URL         string
	// HTTPStatus is the merchant's answer; 0 when the request failed.
	HTTPStatus int
}

type order struct {
	ID, Number, ReturnURL, FailURL, CallbackURL, Description string
	Amount, Refunded                                         int64
	Status                                                   acquiring.OrderStatus
	ActionCode                                               int
	ActionText                                               string
	Created, Expires                                         time.Time
}

// Server is the simulator.
type Server struct {
	cfg   Config
	pages *template.Template
	mux   *http.ServeMux

	mu         sync.Mutex
	faults     Faults
	orders     map[string]*order // by id
	byNumber   map[string]*order
	held       []func()
	deliveries []Delivery
	wg         sync.WaitGroup
}

// New builds a simulator.
func New(cfg Config) (*Server, error) {
	if cfg.UserName == "" || cfg.Password == "" || len(cfg.Secret) == 0 {
		return nil, fmt.Errorf("acquiring sim: UserName, Password and Secret are required")
	}
	if cfg.SessionTimeout == 0 {
		cfg.SessionTimeout = 20 * time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	pages, err := template.New("").Funcs(template.FuncMap{"rub": rubles}).ParseFS(templates, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("acquiring sim: %w", err)
	}
	s := &Server{cfg: cfg, pages: pages, mux: http.NewServeMux(), faults: cfg.Faults,
		orders: map[string]*order{}, byNumber: map[string]*order{}}
	s.mux.HandleFunc("POST "+acquiring.PathRegister, s.register)
	s.mux.HandleFunc("POST "+acquiring.PathStatus, s.status)
	s.mux.HandleFunc("POST "+acquiring.PathRefund, s.refund)
	s.mux.HandleFunc("GET "+formPath, s.form)
	s.mux.HandleFunc("POST /payment/sim/card", s.payCard)
	s.mux.HandleFunc("POST /payment/sim/acs", s.acs)
	s.mux.HandleFunc("POST /payment/sim/sbp", s.paySBP)
	s.mux.HandleFunc("GET /{$}", s.index)
	return s, nil
}

const formPath = "/payment/merchants/sim/payment_ru.html"

// Handler serves the gateway's API and pages.
func (s *Server) Handler() http.Handler { return s.mux }

// SetFaults changes how later callbacks misbehave.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Release sends the callbacks held by Faults.Hold, in the order they were made, and waits for them.
func (s *Server) Release() {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, send := range held {
		send()
	}
}

// Wait waits for callbacks being sent in the background (Faults.Delay).
func (s *Server) Wait() { s.wg.Wait() }

// Deliveries lists the callbacks sent so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// Order returns an order's gateway id and status by the merchant's number.
func (s *Server) Order(number string) (id string, status acquiring.OrderStatus, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.byNumber[number]
	if !ok {
		return "", 0, false
	}
	return o.ID, o.Status, true
}

// Pay pays an order as the test card would, without a browser (tests, demo scripts).
func (s *Server) Pay(number string) error {
	s.mu.Lock()
	o, ok := s.byNumber[number]
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("acquiring sim: no order %q", number)
	}
	_, err := s.deposit(o.ID)
	return err
}

func (s *Server) now() time.Time { return s.cfg.Now() }

// answer writes the gateway's JSON answer.
func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func gatewayError(w http.ResponseWriter, code int, msg string) {
	answer(w, map[string]string{"errorCode": strconv.Itoa(code), "errorMessage": msg})
}

// authorized checks the merchant's credentials; a wrong pair is error 5 "Доступ запрещён".
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		gatewayError(w, 4, "Неверный запрос")
		return false
	}
	u, p := r.PostForm.Get("userName"), r.PostForm.Get("password")
	if !hmac.Equal([]byte(u), []byte(s.cfg.UserName)) || !hmac.Equal([]byte(p), []byte(s.cfg.Password)) {
		gatewayError(w, 5, "Доступ запрещён")
		return false
	}
	return true
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	f := r.PostForm
	number := f.Get("orderNumber")
	amount, err := strconv.ParseInt(f.Get("amount"), 10, 64)
	switch {
	case number == "" || len(number) > 32:
		gatewayError(w, 4, "Номер заказа не может быть пуст")
		return
	case err != nil || amount <= 0:
		gatewayError(w, 4, "Сумма заказа не может быть меньше нуля")
		return
	case f.Get("returnUrl") == "":
		gatewayError(w, 4, "URL возврата не может быть пуст")
		return
	case f.Get("currency") != "" && f.Get("currency") != "643":
		gatewayError(w, 3, "Неизвестная валюта")
		return
	}
	timeout := s.cfg.SessionTimeout
	if t, err := strconv.Atoi(f.Get("sessionTimeoutSecs")); err == nil && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	s.mu.Lock()
	if _, dup := s.byNumber[number]; dup {
		s.mu.Unlock()
		gatewayError(w, 1, "Заказ с таким номером уже обработан")
		return
	}
	o := &order{ID: newID(), Number: number, Amount: amount, ReturnURL: f.Get("returnUrl"), FailURL: f.Get("failUrl"),
		CallbackURL: f.Get("dynamicCallbackUrl"), Description: f.Get("description"), Created: s.now()}
	o.Expires = o.Created.Add(timeout)
	if o.FailURL == "" {
		o.FailURL = o.ReturnURL
	}
	if o.CallbackURL == "" {
		o.CallbackURL = s.cfg.CallbackURL
	}
	s.orders[o.ID], s.byNumber[number] = o, o
	s.mu.Unlock()
	answer(w, map[string]string{"orderId": o.ID, "formUrl": s.publicURL(r) + formPath + "?mdOrder=" + o.ID})
}

func (s *Server) publicURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	return "http://" + r.Host
}

// lookup finds an order and expires it when its time ran out (sending declinedByTimeout).
func (s *Server) lookup(id string) (order, bool) {
	s.mu.Lock()
	o, ok := s.orders[id]
	if !ok {
		s.mu.Unlock()
		return order{}, false
	}
	expired := (o.Status == acquiring.StatusRegistered || o.Status == acquiring.StatusACS) && !s.now().Before(o.Expires)
	if expired {
		o.Status, o.ActionCode, o.ActionText = acquiring.StatusDeclined, acquiring.ActionExpired, "Истёк срок ожидания ввода данных"
	}
	cp := *o
	s.mu.Unlock()
	if expired {
		s.notify(cp, acquiring.OpDeclinedByTimeout)
	}
	return cp, true
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	id := r.PostForm.Get("orderId")
	if id == "" {
		if n := r.PostForm.Get("orderNumber"); n != "" {
			s.mu.Lock()
			if o, ok := s.byNumber[n]; ok {
				id = o.ID
			}
			s.mu.Unlock()
		}
	}
	o, ok := s.lookup(id)
	if !ok {
		gatewayError(w, 6, "Заказ не найден")
		return
	}
	state := map[acquiring.OrderStatus]string{0: "CREATED", 1: "APPROVED", 2: "DEPOSITED", 3: "REVERSED", 4: "REFUNDED", 5: "CREATED", 6: "DECLINED"}[o.Status]
	deposited := int64(0)
	if o.Status == acquiring.StatusDeposited || o.Status == acquiring.StatusRefunded {
		deposited = o.Amount
	}
	answer(w, map[string]any{"errorCode": "0", "errorMessage": "Успешно", "orderNumber": o.Number, "orderStatus": int(o.Status),
		"actionCode": o.ActionCode, "actionCodeDescription": o.ActionText, "amount": o.Amount, "currency": "643",
		"date": o.Created.UnixMilli(), "orderDescription": o.Description,
		"paymentAmountInfo": map[string]any{"paymentState": state, "approvedAmount": deposited, "depositedAmount": deposited,
			"refundedAmount": o.Refunded}})
}

func (s *Server) refund(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	amount, err := strconv.ParseInt(r.PostForm.Get("amount"), 10, 64)
	if err != nil || amount <= 0 {
		gatewayError(w, 4, "Сумма возврата указана неверно")
		return
	}
	s.mu.Lock()
	o, ok := s.orders[r.PostForm.Get("orderId")]
	if !ok {
		s.mu.Unlock()
		gatewayError(w, 6, "Заказ не найден")
		return
	}
	if o.Status != acquiring.StatusDeposited || amount > o.Amount-o.Refunded {
		s.mu.Unlock()
		gatewayError(w, 7, "Неверная сумма возврата или заказ не оплачен")
		return
	}
	o.Refunded += amount
	if o.Refunded == o.Amount {
		o.Status = acquiring.StatusRefunded
	}
	cp := *o
	s.mu.Unlock()
	s.notify(cp, acquiring.OpRefunded)
	answer(w, map[string]string{"errorCode": "0", "errorMessage": "Успешно"})
}

// deposit pays an order that is waiting and sends its callbacks; false when it was not waiting.
func (s *Server) deposit(id string) (order, error) {
	s.mu.Lock()
	o, ok := s.orders[id]
	if !ok {
		s.mu.Unlock()
		return order{}, fmt.Errorf("acquiring sim: no order %q", id)
	}
	if o.Status != acquiring.StatusRegistered && o.Status != acquiring.StatusACS {
		cp := *o
		s.mu.Unlock()
		return cp, fmt.Errorf("acquiring sim: order %s is not waiting for payment", o.Number)
	}
	o.Status, o.ActionCode, o.ActionText = acquiring.StatusDeposited, 0, ""
	cp := *o
	s.mu.Unlock()
	s.notify(cp, acquiring.OpApproved, acquiring.OpDeposited)
	return cp, nil
}

func (s *Server) decline(id string, code int, text string) order {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o.Status == acquiring.StatusRegistered || o.Status == acquiring.StatusACS {
		o.Status, o.ActionCode, o.ActionText = acquiring.StatusDeclined, code, text
	}
	return *o
}

// notify sends the callbacks of ops with the current faults.
func (s *Server) notify(o order, ops ...acquiring.Operation) {
	s.mu.Lock()
	f := s.faults
	s.mu.Unlock()
	if o.CallbackURL == "" || f.Lose {
		for _, op := range ops {
			s.record(Delivery{OrderNumber: o.Number, Operation: op, URL: "(lost)"})
		}
		return
	}
	if f.OutOfOrder {
		for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
			ops[i], ops[j] = ops[j], ops[i]
		}
	}
	var sends []func()
	for _, op := range ops {
		u := s.callbackURL(o, op, f.BadChecksum)
		send := func() { s.send(o.Number, op, u) }
		sends = append(sends, send)
		if f.Duplicate {
			sends = append(sends, send)
		}
	}
	all := func() {
		for _, send := range sends {
			send()
		}
	}
	switch {
	case f.Hold:
		s.mu.Lock()
		s.held = append(s.held, all)
		s.mu.Unlock()
	case f.Delay > 0:
		s.wg.Add(1)
		time.AfterFunc(f.Delay, func() { defer s.wg.Done(); all() })
	default:
		all()
	}
}

func (s *Server) callbackURL(o order, op acquiring.Operation, bad bool) string {
	v := url.Values{"mdOrder": {o.ID}, "orderNumber": {o.Number}, "operation": {string(op)}, "status": {"1"}}
	if op == acquiring.OpRefunded {
		v.Set("amount", strconv.FormatInt(o.Refunded, 10))
	}
	sum := acquiring.Checksum(s.cfg.Secret, v)
	if bad {
		sum = strings.Repeat("0", len(sum))
	}
	v.Set("checksum", sum)
	sep := "?"
	if strings.Contains(o.CallbackURL, "?") {
		sep = "&"
	}
	return o.CallbackURL + sep + v.Encode()
}

func (s *Server) send(number string, op acquiring.Operation, u string) {
	d := Delivery{OrderNumber: number, Operation: op, URL: u}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err == nil {
		var resp *http.Response
		if resp, err = s.cfg.HTTPClient.Do(req); err == nil {
			d.HTTPStatus = resp.StatusCode
			resp.Body.Close()
		}
	}
	if err != nil {
		s.cfg.Logger.Warn("acquiring sim: callback failed", "order", number, "operation", op, "error", err)
	}
	s.record(d)
}

func (s *Server) record(d Delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deliveries = append(s.deliveries, d)
}

// pageData is what the payment pages show.
type pageData struct {
	Order   order
	Error   string
	QR      template.URL
	SBPLink string
	Cards   map[string]string
}

func (s *Server) render(w http.ResponseWriter, status int, name string, d pageData) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := s.pages.ExecuteTemplate(w, name, d); err != nil {
		s.cfg.Logger.Error("acquiring sim: render", "page", name, "error", err)
	}
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	s.render(w, http.StatusOK, "index.html", pageData{Cards: testCards()})
}

func testCards() map[string]string {
	return map[string]string{CardSuccess: "оплата проходит", CardDeclined: "банк отклоняет", Card3DS: "запрос кода 3-D Secure (" + ACSCode + ")"}
}

func (s *Server) form(w http.ResponseWriter, r *http.Request) {
	o, ok := s.lookup(r.URL.Query().Get("mdOrder"))
	if !ok {
		s.render(w, http.StatusNotFound, "done.html", pageData{Error: "Заказ не найден."})
		return
	}
	if o.Status != acquiring.StatusRegistered {
		s.render(w, http.StatusOK, "done.html", pageData{Order: o, Error: closedText(o)})
		return
	}
	link := "https://qr.nspk.ru/AS" + strings.ToUpper(strings.ReplaceAll(o.ID, "-", "")) + "?type=02&bank=100000000111&sum=" +
		strconv.FormatInt(o.Amount, 10) + "&cur=RUB&crc=" + o.ID[:4]
	png, err := payqr.PNG([]byte(link), 240)
	if err != nil {
		http.Error(w, "qr: "+err.Error(), http.StatusInternalServerError)
		return
	}
	s.render(w, http.StatusOK, "form.html", pageData{Order: o, SBPLink: link, Cards: testCards(),
		QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))})
}

func closedText(o order) string {
	switch o.Status {
	case acquiring.StatusDeposited, acquiring.StatusApproved:
		return "Заказ уже оплачен."
	case acquiring.StatusRefunded:
		return "По заказу выполнен возврат."
	case acquiring.StatusACS:
		return "Платёж ждёт кода подтверждения из SMS."
	case acquiring.StatusDeclined:
		if o.ActionCode == acquiring.ActionExpired {
			return "Время на оплату истекло."
		}
		return "Платёж отклонён: " + o.ActionText
	}
	return "Заказ недоступен для оплаты."
}

func digits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func (s *Server) payCard(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("mdOrder")
	o, ok := s.lookup(id)
	if !ok {
		s.render(w, http.StatusNotFound, "done.html", pageData{Error: "Заказ не найден."})
		return
	}
	if o.Status != acquiring.StatusRegistered {
		// A second card form for the same order (back button, double click) says why it cannot be paid.
		s.render(w, http.StatusOK, "done.html", pageData{Order: o, Error: closedText(o)})
		return
	}
	pan := digits(r.PostFormValue("pan"))
	switch pan {
	case CardSuccess:
		s.paid(w, r, id)
	case CardDeclined:
		o := s.decline(id, 116, "Недостаточно средств на карте")
		http.Redirect(w, r, withOrderID(o.FailURL, o.ID), http.StatusSeeOther)
	case Card3DS:
		s.mu.Lock()
		s.orders[id].Status = acquiring.StatusACS
		s.mu.Unlock()
		s.render(w, http.StatusOK, "acs.html", pageData{Order: o})
	default:
		s.render(w, http.StatusOK, "form.html", pageData{Order: o, Cards: testCards(),
			Error: "Неизвестная тестовая карта. Используйте одну из карт, перечисленных ниже."})
	}
}

func (s *Server) acs(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("mdOrder")
	o, ok := s.lookup(id)
	if !ok || o.Status != acquiring.StatusACS {
		s.form(w, r)
		return
	}
	if r.PostFormValue("code") != ACSCode {
		o := s.decline(id, 2003, "Не пройдена проверка 3-D Secure")
		http.Redirect(w, r, withOrderID(o.FailURL, o.ID), http.StatusSeeOther)
		return
	}
	s.paid(w, r, id)
}

func (s *Server) paySBP(w http.ResponseWriter, r *http.Request) {
	s.paid(w, r, r.PostFormValue("mdOrder"))
}

// paid deposits the order, sends its callbacks and returns the browser to the merchant.
func (s *Server) paid(w http.ResponseWriter, r *http.Request, id string) {
	o, err := s.deposit(id)
	if err != nil {
		if o.ID == "" {
			s.render(w, http.StatusNotFound, "done.html", pageData{Error: "Заказ не найден."})
			return
		}
		s.render(w, http.StatusOK, "done.html", pageData{Order: o, Error: closedText(o)})
		return
	}
	http.Redirect(w, r, withOrderID(o.ReturnURL, o.ID), http.StatusSeeOther)
}

// withOrderID appends orderId to a return URL, as the gateway does.
func withOrderID(u, id string) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + "orderId=" + url.QueryEscape(id)
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func rubles(k int64) string {
	return fmt.Sprintf("%d,%02d", k/100, k%100)
}
