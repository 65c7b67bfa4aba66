// Package cabinet is the residents' web cabinet, mounted at "/": login through ESIA
// (Gosuslugi) or with e-mail and password, linking personal accounts with a proof, meter
// readings (also without login), profile changes and deleting the cabinet.
//
// Security rules kept here: server-side sessions (internal/session) with a 15-minute idle and
// an absolute timeout; a CSRF token on every form (the session's, or a cookie-bound one before
// login); ESIA's state bound to the browser and used once; lockouts and rate limits counted in
// PostgreSQL so they hold across processes; a resident reads only accounts it linked and proved,
// which the store's queries enforce. Pages are server-rendered html/template (contextual
// escaping), text in Russian.
package cabinet

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/layout"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/money"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
	"github.com/zhkhgate/zhkhgate/internal/session"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web/formcheck"
)

//go:embed templates/*.html static/*
var assets embed.FS

// ESIA is the part of the ESIA client the cabinet uses; *esia.Client implements it.
type ESIA interface {
	AuthCodeURL(ctx context.Context, state string) (string, error)
	Exchange(ctx context.Context, code string) (*esia.Login, error)
	Person(ctx context.Context, accessToken string, oid int64) (esia.Person, error)
	LogoutURL(redirectURL string) string
}

// Config tunes the cabinet.
type Config struct {
	// BaseURL is the cabinet's public address without a trailing slash, used in e-mailed links
	// and as the return address of ESIA logout, e.g. "https://lk.example.org".
	BaseURL string
	// SecureCookies marks cookies Secure; set when served over TLS.
	SecureCookies bool
	// Idle ends an unused session; 15 minutes when zero.
	Idle time.Duration
	// Absolute ends a session this long after login; 8 hours when zero.
	Absolute time.Duration
	// Now is the clock of sessions and limiters; time.Now when nil (tests move it instead of sleeping).
	Now func() time.Time
	// DemoHints shows a few accounts with their proofs on the landing page (demo only).
	DemoHints bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed when counting
	// attempts per IP; without them the peer address is used.
	TrustedProxies []netip.Prefix
	// Limits on guessing; zero fields take the defaults.
	Limits Limits
	// PaymentOrigin is the acquirer's payment page origin ("https://securepayments.example"), which
	// the cabinet's forms may redirect to.
	PaymentOrigin string
}

// Limits bound guessing; attempts are counted per key in PostgreSQL over one hour.
type Limits struct {
	// LoginFailures is how many wrong passwords in a row lock a resident for 15 minutes (5).
	LoginFailures int
	// ProofFailures is how many failed account proofs a resident, or an account, may have (5).
	ProofFailures int
	// IPAttempts is how many login, registration, proof and reading attempts one IP may make (30).
	IPAttempts int
	// AccountClients is how many different clients (IPs, residents) may try to prove one
	// account within an hour (10); one client alone cannot close an account's forms.
	AccountClients int
	// RequestsPerDay is how many requests (заявки) a resident may send in 24 hours (5).
	RequestsPerDay int
}

// Deps are the cabinet's collaborators.
type Deps struct {
	Pool *pgxpool.Pool
	// ESIA logs residents in through Gosuslugi; nil hides that button.
	ESIA   ESIA
	Mailer mail.Mailer
	Logger *slog.Logger
	// OnCheck, when set, is told each time a secret is checked ("password", "account_proof",
	// "reading_proof"); the security tests count checks with it.
	OnCheck func(what string)
	// OnlinePay is online payment through the acquirer; nil hides payment.
	OnlinePay *onlinepay.Service
}

const (
	loginLockout = 15 * time.Minute // how long a login lockout lasts
	limitWindow  = time.Hour        // the window attempts are counted in
	esiaLoginTTL = 10 * time.Minute // how long an ESIA login may take
)

// Cabinet serves residents.
type Cabinet struct {
	cfg      Config
	deps     Deps
	sessions *session.Manager
	pages    map[string]*template.Template
	mux      *http.ServeMux
	// csrfKey signs the anonymous CSRF tokens (a server secret shared by all processes).
	csrfKey []byte
}

// New builds the cabinet.
func New(cfg Config, deps Deps) (*Cabinet, error) {
	if deps.Pool == nil || deps.Mailer == nil || deps.Logger == nil {
		return nil, errors.New("cabinet: Pool, Mailer and Logger are required")
	}
	if cfg.BaseURL == "" {
		return nil, errors.New("cabinet: BaseURL is required")
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	cfg.Limits.LoginFailures = cmp.Or(cfg.Limits.LoginFailures, 5)
	cfg.Limits.ProofFailures = cmp.Or(cfg.Limits.ProofFailures, 5)
	cfg.Limits.IPAttempts = cmp.Or(cfg.Limits.IPAttempts, 30)
	cfg.Limits.AccountClients = cmp.Or(cfg.Limits.AccountClients, 10)
	c := &Cabinet{cfg: cfg, deps: deps, mux: http.NewServeMux()}
	c.sessions = &session.Manager{Pool: deps.Pool, Kind: "resident", CookieName: "zhkhgate_session", CookiePath: "/",
		Idle: cmp.Or(cfg.Idle, 15*time.Minute), Absolute: cmp.Or(cfg.Absolute, 8*time.Hour), Secure: cfg.SecureCookies,
		Now: cfg.Now}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c.pages = pages
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	candidate := make([]byte, 32)
	rand.Read(candidate)
	if c.csrfKey, err = store.ServerSecret(ctx, deps.Pool, "cabinet_anon_csrf", candidate); err != nil {
		return nil, fmt.Errorf("cabinet: %w", err)
	}
	c.routes()
	return c, nil
}

// Handler returns the cabinet's root handler. Every query and form value is checked first
// (formcheck); the ESIA callback checks its own, since ESIA's errors must be audited.
func (c *Cabinet) Handler() http.Handler {
	return formcheck.Middleware(c.mux, func(w http.ResponseWriter, r *http.Request, err error) {
		c.fail(w, r, c.visitorOf(w, r), err)
	}, func(r *http.Request) bool { return r.URL.Path == "/esia/callback" })
}

func (c *Cabinet) routes() {
	static, _ := fs.Sub(assets, "static")
	c.mux.Handle("GET /cabinet-static/", http.StripPrefix("/cabinet-static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /{$}", c.home)

	c.mux.HandleFunc("POST /esia/login", c.anon(c.esiaStart))
	c.mux.HandleFunc("GET /esia/callback", c.esiaCallback)
	c.mux.HandleFunc("GET /login", c.anon(c.loginForm))
	c.mux.HandleFunc("POST /login", c.anon(c.login))
	c.mux.HandleFunc("GET /register", c.anon(c.registerForm))
	c.mux.HandleFunc("POST /register", c.anon(c.register))
	c.mux.HandleFunc("GET /confirm", c.confirmEmail)
	c.mux.HandleFunc("GET /reset", c.anon(c.resetForm))
	c.mux.HandleFunc("POST /reset", c.anon(c.resetRequest))
	c.mux.HandleFunc("GET /reset/new", c.anon(c.newPasswordForm))
	c.mux.HandleFunc("POST /reset/new", c.anon(c.newPassword))
	c.mux.HandleFunc("GET /readings", c.anon(c.readingsForm))
	c.mux.HandleFunc("POST /readings", c.anon(c.readingsSubmit))

	c.mux.HandleFunc("POST /logout", c.resident(c.logout))
	c.mux.HandleFunc("POST /logout/everywhere", c.resident(c.logoutEverywhere))
	c.mux.HandleFunc("POST /accounts/link", c.resident(c.linkAccount))
	c.mux.HandleFunc("GET /accounts/{id}", c.resident(c.accountPage))
	c.mux.HandleFunc("POST /accounts/{id}/main", c.resident(c.setMain))
	c.mux.HandleFunc("POST /accounts/{id}/paperless", c.resident(c.setPaperless))
	c.mux.HandleFunc("GET /accounts/{id}/unlink", c.resident(c.unlinkPage))
	c.mux.HandleFunc("POST /accounts/{id}/unlink", c.resident(c.unlinkConfirmed))
	c.mux.HandleFunc("GET /accounts/{id}/readings", c.resident(c.accountReadingsPage))
	c.mux.HandleFunc("POST /accounts/{id}/readings", c.resident(c.accountReadings))
	c.mux.HandleFunc("GET /accounts/{id}/meters", c.resident(c.metersPage))
	c.mux.HandleFunc("GET /accounts/{id}/meters/{meter}/history", c.resident(c.meterHistoryPage))
	c.mux.HandleFunc("GET /profile", c.resident(c.profile))
	c.mux.HandleFunc("POST /profile/email", c.resident(c.changeEmail))
	c.mux.HandleFunc("GET /profile/email/confirm", c.confirmEmailChange)
	c.mux.HandleFunc("POST /profile/phone", c.resident(c.changePhone))
	c.mux.HandleFunc("POST /profile/password", c.resident(c.changePassword))
	c.mux.HandleFunc("POST /profile/esia", c.resident(c.bindESIA))
	c.mux.HandleFunc("POST /profile/delete", c.resident(c.deleteCabinet))
	c.payRoutes()
	c.requestRoutes()
	c.documentRoutes()
	c.mux.HandleFunc("/", c.notFound)
}

// visitor is who is making a request: a logged-in resident or an anonymous browser.
type visitor struct {
	Resident *store.Resident
	Session  *session.Session
	// CSRF is the token forms on the page must carry.
	CSRF string
}

// anonCookie carries the CSRF token of browsers without a session (double-submit pattern).
const anonCookie = "zhkhgate_csrf"

// anon wraps handlers that work without login: they get a cookie-bound CSRF token, and
// state-changing requests must echo it. A logged-in visitor is passed along too.
func (c *Cabinet) anon(h func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := c.visitorOf(w, r)
		if r.Method == http.MethodPost && !c.csrfOK(r, v) {
			c.fail(w, r, v, errCSRF)
			return
		}
		h(w, r, v)
	}
}

var errCSRF = apperr.E(apperr.Permission, "check csrf", "Форма устарела или отправлена с чужого сайта. Обновите страницу и попробуйте ещё раз.")

// resident wraps handlers that need a logged-in resident; POSTs must carry the session's CSRF token.
func (c *Cabinet) resident(h func(http.ResponseWriter, *http.Request, *visitor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := c.visitorOf(w, r)
		if v.Resident == nil {
			if r.Method == http.MethodGet {
				c.sessionEnded(w, r)
				return
			}
			c.fail(w, r, v, apperr.E(apperr.Permission, "cabinet", "Сеанс завершён. Войдите снова."))
			return
		}
		if r.Method == http.MethodPost && !c.csrfOK(r, v) {
			c.fail(w, r, v, errCSRF)
			return
		}
		h(w, r, v)
	}
}

func (c *Cabinet) visitorOf(w http.ResponseWriter, r *http.Request) *visitor {
	v := &visitor{}
	if s, err := c.sessions.Load(r); err == nil {
		if res, err := store.ResidentByID(r.Context(), c.deps.Pool, s.SubjectID); err == nil {
			v.Resident, v.Session, v.CSRF = &res, &s, s.CSRFToken
			return v
		}
	}
	if ck, err := r.Cookie(anonCookie); err == nil && c.validAnonToken(ck.Value) {
		v.CSRF = ck.Value
		return v
	}
	v.CSRF = c.newAnonToken()
	http.SetCookie(w, &http.Cookie{Name: anonCookie, Value: v.CSRF, Path: "/", HttpOnly: true,
		Secure: c.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	return v
}

func (c *Cabinet) csrfOK(r *http.Request, v *visitor) bool {
	if v.Session != nil {
		return session.CheckCSRF(r, *v.Session) == nil
	}
	got := r.PostFormValue(session.CSRFField)
	ck, err := r.Cookie(anonCookie)
	return err == nil && got != "" && c.validAnonToken(got) && subtle.ConstantTimeCompare([]byte(got), []byte(ck.Value)) == 1
}

// newAnonToken issues an anonymous CSRF token: a random nonce and its HMAC under the server's
// secret, so a caller cannot pick a cookie and token pair of his own.
func (c *Cabinet) newAnonToken() string {
	nonce := randomToken()
	return nonce + "." + c.anonMAC(nonce)
}

func (c *Cabinet) validAnonToken(t string) bool {
	nonce, mac, ok := strings.Cut(t, ".")
	return ok && len(nonce) >= 43 && hmac.Equal([]byte(mac), []byte(c.anonMAC(nonce)))
}

func (c *Cabinet) anonMAC(nonce string) string {
	m := hmac.New(sha256.New, c.csrfKey)
	m.Write([]byte("cabinet anonymous csrf\x00" + nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) []byte {
	h := sha256.Sum256([]byte(t))
	return h[:]
}

// clientIP is the address limits and the audit log use: the peer, or, when the peer is a
// trusted reverse proxy, the last X-Forwarded-For address not itself a trusted proxy.
func (c *Cabinet) clientIP(r *http.Request) string {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	ip := peer.Addr().Unmap()
	if !c.trusted(ip) {
		return ip.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed hop: trust nothing before it
		}
		ip = a.Unmap()
		if !c.trusted(ip) {
			break
		}
	}
	return ip.String()
}

func (c *Cabinet) trusted(ip netip.Addr) bool {
	for _, p := range c.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// audit records a resident's action; failures are logged, never shown.
func (c *Cabinet) audit(ctx context.Context, residentID int64, action, objectKind, objectID string, details map[string]any) {
	kind := "resident"
	if residentID == 0 {
		kind = "system"
	}
	if err := store.Audit(ctx, c.deps.Pool, store.AuditEntry{ActorKind: kind, ActorID: residentID, Action: action,
		ObjectKind: objectKind, ObjectID: objectID, Details: details}); err != nil {
		c.deps.Logger.ErrorContext(ctx, "cabinet: audit", "action", action, "error", err)
	}
}

// page is what every template gets.
type page struct {
	Title    string
	V        *visitor
	ESIA     bool
	Notice   string
	Error    string
	Data     any
	CSRFName string
	// Unread counts the resident's unread notifications (the header's badge).
	Unread int
}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"rub":        money.Rubles,
		"neg":        func(k int64) int64 { return -k },
		"period":     func(t *time.Time) string { return formatPeriod(t) },
		"month":      func(t time.Time) string { return formatPeriod(&t) },
		"date":       func(t *time.Time) string { return formatDate(t) },
		"day":        func(t time.Time) string { return formatDate(&t) },
		"resource":   resourceName,
		"reading":    func(d *model.Decimal) string { return strings.Replace(d.String(), ".", ",", 1) },
		"purpose":    purposeName,
		"rubin":      rublesInput,
		"stamp":      formatStamp,
		"stateTitle": func(s store.RequestState) string { return store.StateTitle(s) },
		"kindTitle":  func(k store.RequestKind) string { return store.KindTitle(k) },
		"num":        numText,
	}
	pages, err := layout.Parse(assets, funcs)
	if err != nil {
		return nil, fmt.Errorf("cabinet: %w", err)
	}
	return pages, nil
}

// notices are the fixed messages a redirect may ask for with ?ok=…; no user text is reflected.
var notices = map[string]string{
	"linked":     "Лицевой счёт привязан.",
	"unlinked":   "Лицевой счёт отвязан.",
	"main":       "Основной лицевой счёт изменён.",
	"paperless":  "Настройка бумажных квитанций сохранена.",
	"reading":    "Показания приняты. Спасибо!",
	"phone":      "Телефон сохранён.",
	"password":   "Пароль изменён.",
	"email_sent": "Мы отправили письмо со ссылкой для подтверждения на новый адрес.",
	"email":      "Адрес электронной почты изменён.",
	"esia_bound": "Учётная запись Госуслуг привязана к кабинету.",
	"everywhere": "Все остальные сеансы завершены.",
	"confirmed":  "Адрес подтверждён. Теперь можно войти.",
	"reset":      "Пароль изменён. Войдите с новым паролем.",
	"deleted":    "Кабинет удалён.",
	"logged_out": "Вы вышли из кабинета.",
	"request":    "Заявка принята. Ответ придёт в уведомления.",
	"read":       "Все уведомления отмечены прочитанными.",
	"notify":     "Настройки уведомлений сохранены.",
	"idle":       "Сеанс завершён из-за бездействия. Войдите снова — откроется страница, на которой вы были.",
}

func (c *Cabinet) render(w http.ResponseWriter, r *http.Request, status int, name string, v *visitor, p page) {
	t, ok := c.pages[name]
	if !ok {
		c.deps.Logger.Error("cabinet: no such template", "name", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.V, p.ESIA, p.CSRFName = v, c.deps.ESIA != nil, session.CSRFField
	p.Unread = c.unread(r, v)
	if p.Notice == "" {
		p.Notice = notices[r.URL.Query().Get("ok")]
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self' "+c.esiaOrigin()+" "+c.cfg.PaymentOrigin+"; frame-ancestors 'none'")
	w.WriteHeader(status)
	if err := t.ExecuteTemplate(w, "layout.html", p); err != nil {
		c.deps.Logger.Error("cabinet: render", "page", name, "error", err)
	}
}

// esiaOrigin allows the ESIA login form post to redirect to ESIA.
func (c *Cabinet) esiaOrigin() string {
	if c.deps.ESIA == nil {
		return ""
	}
	u := c.deps.ESIA.LogoutURL("")
	if i := strings.Index(u, "/idp/"); i > 0 {
		return u[:i]
	}
	return ""
}

// fail shows an error page with the status of err's kind; internal errors are logged in full.
func (c *Cabinet) fail(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	status := apperr.HTTPStatus(err)
	msg := apperr.UserMessage(err)
	if status >= 500 {
		c.deps.Logger.ErrorContext(r.Context(), "cabinet: request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if apperr.KindOf(err) == apperr.Internal {
		msg = "Что-то пошло не так. Попробуйте позже."
	}
	name := "error"
	switch {
	case status == http.StatusNotFound:
		name = "notfound"
	case status >= 500:
		name = "servererror"
	}
	c.render(w, r, limitStatus(w, err, status), name, v, page{Title: "Ошибка", Error: msg})
}

// limitStatus turns a Permission error with a retry time (a lockout or rate limit) into 429 with
// Retry-After; other statuses pass through.
func limitStatus(w http.ResponseWriter, err error, status int) int {
	if ra := apperr.RetryAfterOf(err); ra > 0 && apperr.Is(err, apperr.Permission) {
		w.Header().Set("Retry-After", fmt.Sprint(int(ra.Seconds()+0.999)))
		return http.StatusTooManyRequests
	}
	return status
}

// errTooMany is a rate-limit answer.
func errTooMany(op string) error {
	return &apperr.Error{Kind: apperr.Permission, Op: op, Message: "Слишком много попыток. Попробуйте через час.", RetryAfter: limitWindow}
}

func (c *Cabinet) home(w http.ResponseWriter, r *http.Request) {
	v := c.visitorOf(w, r)
	if v.Resident == nil {
		c.rememberNext(w, r)
		var hints []store.AccountHint
		if c.cfg.DemoHints {
			var err error
			if hints, err = store.SampleAccounts(r.Context(), c.deps.Pool, 3); err != nil {
				c.fail(w, r, v, err)
				return
			}
		}
		c.render(w, r, http.StatusOK, "landing", v, page{Title: "Личный кабинет", Data: map[string]any{"Hints": hints}})
		return
	}
	ctx := r.Context()
	accounts, err := store.ResidentAccounts(ctx, c.deps.Pool, v.Resident.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	houses, err := store.Houses(ctx, c.deps.Pool)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "home", v, page{Title: "Мои лицевые счета",
		Data: map[string]any{"Accounts": accounts, "Houses": houses}})
}
