package cabinet

import (
	"net/http"
	"strconv"
	"strings"

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
	if _, err := c.reserve(r.Context(), "change e-mail", key, c.proofLimit(), ""); err != nil {
		c.profileError(w, r, v, err)
		return
	}
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
	// The address logs in with the password: every other session ends (the browser that
	// opened the link keeps its own when it belongs to this resident).
	var n int64
	if v.Resident != nil && v.Resident.ID == id {
		n, err = c.sessions.EndOthers(ctx, r, id)
	} else {
		n, err = c.sessions.EndAll(ctx, id)
	}
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, id, "resident.email_changed", "resident", "", map[string]any{"sessions_ended": n})
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
// The current password is limited like a login (LoginFailures in 15 minutes, then 15 minutes
// locked); a changed password ends every other session of the resident.
func (c *Cabinet) changePassword(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	if v.Resident.PasswordHash != "" {
		key := "password:resident:" + strconv.FormatInt(v.Resident.ID, 10)
		if _, err := c.reserve(ctx, "change password", key, c.loginLimit(), ""); err != nil {
			c.profileError(w, r, v, err)
			return
		}
		if !c.checkPassword([]byte(v.Resident.PasswordHash), r.PostFormValue("current")) {
			c.profileError(w, r, v, apperr.E(apperr.Permission, "change password", "Текущий пароль указан неверно."))
			return
		}
		c.release(ctx, key, c.loginLimit())
	}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		c.profileError(w, r, v, apperr.Invalidf("change password", "Пароли не совпадают."))
		return
	}
	hash, err := hashPassword(r.PostFormValue("password"), v.Resident.Email)
	if err != nil {
		c.profileError(w, r, v, err)
		return
	}
	if err := store.SetResidentPassword(ctx, c.deps.Pool, v.Resident.ID, hash); err != nil {
		c.profileError(w, r, v, err)
		return
	}
	n, err := c.sessions.EndOthers(ctx, r, v.Resident.ID)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(ctx, v.Resident.ID, "resident.password_changed", "resident", "", map[string]any{"sessions_ended": n})
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
