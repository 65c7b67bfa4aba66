package cabinet

import (
	"context"
	"net/http"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/password"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// dummyHash is compared against when the e-mail is unknown, so both answers take as long.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)

const (
	confirmTTL = 24 * time.Hour
	resetTTL   = time.Hour
)

// normalizeEmail checks an e-mail address typed by a resident.
func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := netmail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || len(s) > 254 {
		return "", apperr.Invalidf("e-mail", "Адрес электронной почты указан неверно.")
	}
	return strings.ToLower(s), nil
}

// normalizePhone turns a Russian mobile number in any common spelling into +7XXXXXXXXXX.
func normalizePhone(s string) (string, error) {
	var d []byte
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			d = append(d, byte(c))
		case strings.ContainsRune(" +-()", c):
		default:
			return "", apperr.Invalidf("phone", "Телефон указан неверно: используйте цифры, например +7 900 123-45-67.")
		}
	}
	if len(d) == 11 && (d[0] == '7' || d[0] == '8') {
		d = d[1:]
	}
	if len(d) != 10 {
		return "", apperr.Invalidf("phone", "Телефон должен содержать 10 цифр после +7.")
	}
	return "+7" + string(d), nil
}

// hashPassword checks p against the password policy (ids: the resident's e-mail) and hashes it.
func hashPassword(p string, ids ...string) (string, error) {
	if err := password.Check(p, ids...); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(p), bcrypt.DefaultCost)
	return string(h), err
}

// sendLink mails a one-time link for purpose to address.
func (c *Cabinet) sendLink(ctx context.Context, residentID int64, purpose, address, newEmail, path, subject, text string, ttl time.Duration) error {
	token := randomToken()
	if err := store.CreateResidentToken(ctx, c.deps.Pool, hashToken(token), residentID, purpose, newEmail, ttl); err != nil {
		return err
	}
	link := c.cfg.BaseURL + path + "?t=" + token
	return c.deps.Mailer.Send(ctx, mail.Message{To: address, Subject: subject,
		Body: "Здравствуйте!\n\n" + text + "\n\n" + link + "\n\nЕсли вы не запрашивали это письмо, просто удалите его.\n"})
}

func (c *Cabinet) loginForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.rememberNext(w, r)
	c.render(w, r, http.StatusOK, "login", v, page{Title: "Вход по паролю"})
}

var errBadLogin = apperr.E(apperr.Permission, "resident login", "Неверный адрес электронной почты или пароль.")

// errLocked answers attempts on a locked e-mail.
const msgLocked = "После нескольких неудачных попыток вход заблокирован на 15 минут. Можно восстановить пароль по почте."

// login is POST /login. The attempt is reserved per IP and per e-mail before the password is
// checked; a right password gives its reservations back.
func (c *Cabinet) login(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	email := strings.TrimSpace(r.PostFormValue("email"))
	password := r.PostFormValue("password")
	form := map[string]any{"Email": email}
	fail := func(err error) { c.failForm(w, r, v, "login", "Вход по паролю", err, form) }
	ipKey := "login:ip:" + c.clientIP(r)
	if _, err := c.reserve(ctx, "resident login", ipKey, c.ipLimit(), ""); err != nil {
		fail(err)
		return
	}
	key := loginKey(email)
	held, err := c.reserve(ctx, "resident login", key, c.loginLimit(), msgLocked)
	if err != nil {
		fail(err)
		return
	}
	res, err := store.ResidentByEmail(ctx, c.deps.Pool, email)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		c.fail(w, r, v, err)
		return
	}
	hash := dummyHash // an unknown e-mail costs the same time as a known one
	if err == nil && res.PasswordHash != "" {
		hash = []byte(res.PasswordHash)
	}
	if !c.checkPassword(hash, password) || err != nil || res.PasswordHash == "" {
		if res.ID != 0 && held.Hits >= c.cfg.Limits.LoginFailures {
			c.audit(ctx, res.ID, "resident.locked", "resident", "", map[string]any{"remote": c.clientIP(r)})
		}
		fail(errBadLogin)
		return
	}
	c.release(ctx, key, c.loginLimit())
	c.release(ctx, ipKey, c.ipLimit())
	if res.EmailConfirmedAt == nil {
		fail(apperr.E(apperr.Permission, "resident login",
			"Адрес ещё не подтверждён: откройте ссылку из письма, которое мы отправили при регистрации."))
		return
	}
	if err := store.RecordLoginSuccess(ctx, c.deps.Pool, res.ID); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if _, err := c.sessions.Start(ctx, w, r, res.ID); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, res.ID, "resident.login", "resident", "", map[string]any{"via": "password", "remote": c.clientIP(r)})
	http.Redirect(w, r, c.afterLogin(w, r, "/"), http.StatusSeeOther)
}

func errOr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// failForm re-renders a form page with an error and the resident's input (escaped by the template).
func (c *Cabinet) failForm(w http.ResponseWriter, r *http.Request, v *visitor, name, title string, err error, data map[string]any) {
	status := apperr.HTTPStatus(err)
	if status >= 500 {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, limitStatus(w, err, status), name, v, page{Title: title, Error: apperr.UserMessage(err), Data: data})
}

func (c *Cabinet) registerForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.render(w, r, http.StatusOK, "register", v, page{Title: "Регистрация"})
}

func (c *Cabinet) register(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	form := map[string]any{"Email": r.PostFormValue("email"), "Phone": r.PostFormValue("phone")}
	fail := func(err error) { c.failForm(w, r, v, "register", "Регистрация", err, form) }
	if _, err := c.reserve(ctx, "register", "register:ip:"+c.clientIP(r), c.ipLimit(), ""); err != nil {
		fail(err)
		return
	}
	email, err := normalizeEmail(r.PostFormValue("email"))
	if err != nil {
		fail(err)
		return
	}
	phone, err := normalizePhone(r.PostFormValue("phone"))
	if err != nil {
		fail(err)
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		fail(apperr.Invalidf("register", "Пароли не совпадают."))
		return
	}
	hash, err := hashPassword(r.PostFormValue("password"), email)
	if err != nil {
		fail(err)
		return
	}
	if r.PostFormValue("consent") != "yes" {
		fail(apperr.Invalidf("register", "Нужно согласие на обработку персональных данных."))
		return
	}
	id, err := store.CreateLocalResident(ctx, c.deps.Pool, store.NewLocalResident{Email: email, Phone: phone, PasswordHash: hash})
	switch {
	case apperr.Is(err, apperr.Conflict):
		// Same answer as a new registration, so the form does not reveal who is registered;
		// the owner of the address gets a hint instead.
		existing, _ := store.ResidentByEmail(ctx, c.deps.Pool, email)
		if existing.ID != 0 {
			err = c.sendLink(ctx, existing.ID, store.TokenResetPassword, email, "", "/reset/new", "Повторная регистрация в личном кабинете",
				"Кто-то попытался зарегистрироваться с вашим адресом. Вы уже зарегистрированы; если забыли пароль, задайте новый по ссылке:", resetTTL)
		}
	case err == nil:
		c.audit(ctx, id, "resident.registered", "resident", "", map[string]any{"remote": c.clientIP(r)})
		err = c.sendLink(ctx, id, store.TokenConfirmEmail, email, "", "/confirm", "Подтверждение адреса электронной почты",
			"Вы зарегистрировались в личном кабинете. Чтобы подтвердить адрес, откройте ссылку:", confirmTTL)
	}
	if err != nil {
		fail(err)
		return
	}
	c.render(w, r, http.StatusOK, "sent", v, page{Title: "Проверьте почту",
		Notice: "Мы отправили письмо со ссылкой для подтверждения адреса. Откройте её, чтобы завершить регистрацию."})
}

func (c *Cabinet) confirmEmail(w http.ResponseWriter, r *http.Request) {
	v := c.visitorOf(w, r)
	ctx := r.Context()
	id, _, err := store.UseResidentToken(ctx, c.deps.Pool, hashToken(r.URL.Query().Get("t")), store.TokenConfirmEmail)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := store.ConfirmResidentEmail(ctx, c.deps.Pool, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, id, "resident.email_confirmed", "resident", "", nil)
	http.Redirect(w, r, "/login?ok=confirmed", http.StatusSeeOther)
}

func (c *Cabinet) resetForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.render(w, r, http.StatusOK, "reset", v, page{Title: "Восстановление пароля"})
}

func (c *Cabinet) resetRequest(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	if _, err := c.reserve(ctx, "reset", "reset:ip:"+c.clientIP(r), c.ipLimit(), ""); err != nil {
		c.failForm(w, r, v, "reset", "Восстановление пароля", err, nil)
		return
	}
	if email, err := normalizeEmail(r.PostFormValue("email")); err == nil {
		if res, err := store.ResidentByEmail(ctx, c.deps.Pool, email); err == nil && res.Email != "" {
			if err := c.sendLink(ctx, res.ID, store.TokenResetPassword, res.Email, "", "/reset/new", "Восстановление пароля",
				"Чтобы задать новый пароль, откройте ссылку (она действует один час):", resetTTL); err != nil {
				c.fail(w, r, v, err)
				return
			}
		}
	}
	c.render(w, r, http.StatusOK, "sent", v, page{Title: "Проверьте почту",
		Notice: "Если этот адрес зарегистрирован, мы отправили на него ссылку для смены пароля."})
}

func (c *Cabinet) newPasswordForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.render(w, r, http.StatusOK, "newpassword", v, page{Title: "Новый пароль", Data: map[string]any{"Token": r.URL.Query().Get("t")}})
}

func (c *Cabinet) newPassword(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	token := r.PostFormValue("t")
	data := map[string]any{"Token": token}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		c.failForm(w, r, v, "newpassword", "Новый пароль", apperr.Invalidf("reset", "Пароли не совпадают."), data)
		return
	}
	// The token is taken in a transaction: a password the policy refuses leaves the link usable.
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	defer tx.Rollback(ctx)
	id, _, err := store.UseResidentToken(ctx, tx, hashToken(token), store.TokenResetPassword)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	who, err := store.ResidentByID(ctx, tx, id)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	hash, err := hashPassword(r.PostFormValue("password"), who.Email)
	if err != nil {
		c.failForm(w, r, v, "newpassword", "Новый пароль", err, data)
		return
	}
	if err := store.SetResidentPassword(ctx, tx, id, hash); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		c.fail(w, r, v, err)
		return
	}
	// A reset by e-mail proves the address too.
	if err := store.ConfirmResidentEmail(ctx, c.deps.Pool, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	// The owner of the address proved himself: lift the lockouts of his login.
	if res, err := store.ResidentByID(ctx, c.deps.Pool, id); err == nil && res.Email != "" {
		if err := store.ResetLimiter(ctx, c.deps.Pool, loginKey(res.Email)); err != nil {
			c.fail(w, r, v, err)
			return
		}
	}
	if err := store.ResetLimiter(ctx, c.deps.Pool, "password:resident:"+strconv.FormatInt(id, 10)); err != nil {
		c.fail(w, r, v, err)
		return
	}
	// Whoever knew the old password is logged out.
	if _, err := c.sessions.EndAll(ctx, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, id, "resident.password_reset", "resident", "", map[string]any{"remote": c.clientIP(r)})
	http.Redirect(w, r, "/login?ok=reset", http.StatusSeeOther)
}

func (c *Cabinet) logout(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.sessions.End(w, r)
	c.audit(r.Context(), v.Resident.ID, "resident.logout", "resident", "", nil)
	if v.Resident.ESIAOID != 0 && c.deps.ESIA != nil {
		// End the Gosuslugi session too, so the next person at this computer is not let in.
		http.Redirect(w, r, c.deps.ESIA.LogoutURL(c.cfg.BaseURL+"/?ok=logged_out"), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/?ok=logged_out", http.StatusSeeOther)
}

func (c *Cabinet) logoutEverywhere(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	n, err := c.sessions.EndAll(ctx, v.Resident.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, v.Resident.ID, "resident.logout_everywhere", "resident", "", map[string]any{"sessions": n})
	c.sessions.End(w, r)
	http.Redirect(w, r, "/?ok=logged_out", http.StatusSeeOther)
}
