package cabinet

import (
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

func (c *Cabinet) profile(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.render(w, r, http.StatusOK, "profile", v, page{Title: "Профиль"})
}

func (c *Cabinet) profileError(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	c.failForm(w, r, v, "profile", "Профиль", err, nil)
}

// changeEmail sends a confirmation link to the new address; the change happens when it is opened.
func (c *Cabinet) changeEmail(w http.ResponseWriter, r *http.Request, v *visitor) {
	// Each request mails a stranger's address, so a resident gets a few per hour.
	key := "email:resident:" + strconv.FormatInt(v.Resident.ID, 10)
	if n, err := store.CountAttempts(r.Context(), c.deps.Pool, key, limitWindow, false); err != nil || n >= c.cfg.Limits.ProofFailures {
		c.profileError(w, r, v, errOr(err, errTooMany("change e-mail")))
		return
	}
	store.RecordAttempt(r.Context(), c.deps.Pool, true, key)
	email, err := normalizeEmail(r.PostFormValue("email"))
	if err != nil {
		c.profileError(w, r, v, err)
		return
	}
	if err := c.sendLink(r.Context(), v.Resident.ID, store.TokenChangeEmail, email, email, "/profile/email/confirm",
		"Подтверждение нового адреса", "Чтобы сделать этот адрес адресом вашего личного кабинета, откройте ссылку:", confirmTTL); err != nil {
		c.profileError(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/profile?ok=email_sent", http.StatusSeeOther)
}

func (c *Cabinet) confirmEmailChange(w http.ResponseWriter, r *http.Request) {
	v := c.visitorOf(w, r)
	ctx := r.Context()
	id, email, err := store.UseResidentToken(ctx, c.deps.Pool, hashToken(r.URL.Query().Get("t")), store.TokenChangeEmail)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := store.SetResidentEmail(ctx, c.deps.Pool, id, email); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, id, "resident.email_changed", "resident", "", nil)
	target := "/login?ok=email"
	if v.Resident != nil && v.Resident.ID == id {
		target = "/profile?ok=email"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (c *Cabinet) changePhone(w http.ResponseWriter, r *http.Request, v *visitor) {
	phone, err := normalizePhone(r.PostFormValue("phone"))
	if err != nil {
		c.profileError(w, r, v, err)
		return
	}
	if err := store.SetResidentPhone(r.Context(), c.deps.Pool, v.Resident.ID, phone); err != nil {
		c.profileError(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.phone_changed", "resident", "", nil)
	http.Redirect(w, r, "/profile?ok=phone", http.StatusSeeOther)
}

// changePassword needs the current password when there is one (an ESIA-only resident sets a
// first password, which also requires an e-mail to log in with).
func (c *Cabinet) changePassword(w http.ResponseWriter, r *http.Request, v *visitor) {
	if v.Resident.PasswordHash != "" &&
		bcrypt.CompareHashAndPassword([]byte(v.Resident.PasswordHash), []byte(r.PostFormValue("current"))) != nil {
		c.profileError(w, r, v, apperr.E(apperr.Permission, "change password", "Текущий пароль указан неверно."))
		return
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		c.profileError(w, r, v, apperr.Invalidf("change password", "Пароли не совпадают."))
		return
	}
	hash, err := hashPassword(r.PostFormValue("password"))
	if err != nil {
		c.profileError(w, r, v, err)
		return
	}
	if err := store.SetResidentPassword(r.Context(), c.deps.Pool, v.Resident.ID, hash); err != nil {
		c.profileError(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.password_changed", "resident", "", nil)
	http.Redirect(w, r, "/profile?ok=password", http.StatusSeeOther)
}

// deleteCabinet removes the resident after an explicit confirmation word.
func (c *Cabinet) deleteCabinet(w http.ResponseWriter, r *http.Request, v *visitor) {
	if strings.TrimSpace(strings.ToUpper(r.PostFormValue("confirm"))) != "УДАЛИТЬ" {
		c.profileError(w, r, v, apperr.Invalidf("delete cabinet", "Чтобы удалить кабинет, впишите слово УДАЛИТЬ."))
		return
	}
	ctx := r.Context()
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	defer tx.Rollback(ctx)
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "resident", ActorID: v.Resident.ID, Action: "resident.deleted",
		ObjectKind: "resident", ObjectID: "", Details: map[string]any{"esia_oid": v.Resident.ESIAOID}}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := store.DeleteResident(ctx, tx, v.Resident.ID); err != nil {
		c.fail(w, r, v, err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.sessions.End(w, r)
	http.Redirect(w, r, "/?ok=deleted", http.StatusSeeOther)
}
