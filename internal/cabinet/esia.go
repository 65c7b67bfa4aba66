package cabinet

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// esiaCookie binds an ESIA login in flight to the browser that started it.
const esiaCookie = "zhkhgate_esia"

// esiaStart is POST /esia/login: the «Войти через Госуслуги» button.
func (c *Cabinet) esiaStart(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.startESIA(w, r, v, 0)
}

// bindESIA is POST /profile/esia: a logged-in resident attaches Gosuslugi to the cabinet.
func (c *Cabinet) bindESIA(w http.ResponseWriter, r *http.Request, v *visitor) {
	c.startESIA(w, r, v, v.Resident.ID)
}

func (c *Cabinet) startESIA(w http.ResponseWriter, r *http.Request, v *visitor, bindTo int64) {
	if c.deps.ESIA == nil {
		c.fail(w, r, v, apperr.E(apperr.NotFound, "esia login", "Вход через Госуслуги не настроен."))
		return
	}
	ctx := r.Context()
	// Each start costs a GOST signature and a stored state: limit them per IP.
	if _, err := c.reserve(ctx, "esia login", "esia:ip:"+c.clientIP(r), c.ipLimit(), ""); err != nil {
		c.fail(w, r, v, err)
		return
	}
	state := uuid.New()
	browser := randomToken()
	if err := store.CreateLoginState(ctx, c.deps.Pool, state, hashToken(browser), bindTo, esiaLoginTTL); err != nil {
		c.fail(w, r, v, err)
		return
	}
	u, err := c.deps.ESIA.AuthCodeURL(ctx, state.String())
	if err != nil {
		c.fail(w, r, v, apperr.Wrap(apperr.Unavailable, "esia login", err))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: esiaCookie, Value: browser, Path: "/esia/", MaxAge: int(esiaLoginTTL.Seconds()),
		HttpOnly: true, Secure: c.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, u, http.StatusSeeOther)
}

// esiaCallback is GET /esia/callback, where ESIA sends the browser back.
func (c *Cabinet) esiaCallback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := c.visitorOf(w, r)
	q := r.URL.Query()
	// The state must be one this browser started and not yet used: take it (delete) first,
	// whatever ESIA answered, so it can never be replayed.
	wantState, bindTo := "", int64(0)
	if st, err := uuid.Parse(q.Get("state")); err == nil {
		if ck, err := r.Cookie(esiaCookie); err == nil {
			if rid, err := store.TakeLoginState(ctx, c.deps.Pool, st, hashToken(ck.Value)); err == nil {
				wantState, bindTo = st.String(), rid
			}
		}
	}
	http.SetCookie(w, &http.Cookie{Name: esiaCookie, Value: "", Path: "/esia/", MaxAge: -1, HttpOnly: true,
		Secure: c.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	cb, err := esia.ParseCallback(q, wantState)
	if err != nil {
		c.audit(ctx, 0, "resident.esia_login_failed", "esia", "", map[string]any{"reason": err.Error(), "remote": c.clientIP(r)})
		c.fail(w, r, v, esiaUserError(err))
		return
	}
	if c.deps.ESIA == nil {
		c.fail(w, r, v, apperr.E(apperr.NotFound, "esia login", "Вход через Госуслуги не настроен."))
		return
	}
	login, person, err := c.esiaFetch(r, cb.Code)
	if err != nil {
		c.audit(ctx, 0, "resident.esia_login_failed", "esia", "", map[string]any{"reason": err.Error(), "remote": c.clientIP(r)})
		c.fail(w, r, v, esiaUserError(err))
		return
	}
	if phone, err := normalizePhone(person.Mobile); err == nil {
		person.Mobile = phone
	}
	p := store.ESIAPerson{OID: login.Identity.OID, LastName: person.LastName, FirstName: person.FirstName,
		MiddleName: person.MiddleName, SNILS: person.SNILS, Email: person.Email, Mobile: person.Mobile,
		EmailVerified: person.EmailVerified}
	oid := strconv.FormatInt(p.OID, 10)
	if bindTo != 0 {
		// Binding is only for the resident who started it and is still logged in.
		if v.Resident == nil || v.Resident.ID != bindTo {
			c.fail(w, r, v, apperr.E(apperr.Permission, "bind ESIA", "Сеанс завершён. Войдите в кабинет и повторите привязку."))
			return
		}
		if err := store.BindESIA(ctx, c.deps.Pool, bindTo, p); err != nil {
			c.fail(w, r, v, err)
			return
		}
		c.audit(ctx, bindTo, "resident.esia_bind", "esia_oid", oid, nil)
		http.Redirect(w, r, "/profile?ok=esia_bound", http.StatusSeeOther)
		return
	}
	res, created, err := store.LoginESIA(ctx, c.deps.Pool, p)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	if _, err := c.sessions.Start(ctx, w, r, res.ID); err != nil {
		c.fail(w, r, v, err)
		return
	}
	action := "resident.login"
	if created {
		action = "resident.created"
	}
	c.audit(ctx, res.ID, action, "esia_oid", oid, map[string]any{"via": "esia", "remote": c.clientIP(r)})
	http.Redirect(w, r, c.afterLogin(w, r, "/"), http.StatusSeeOther)
}

// esiaFetch exchanges the code and reads the person, logging both exchanges.
func (c *Cabinet) esiaFetch(r *http.Request, code string) (*esia.Login, esia.Person, error) {
	ctx := r.Context()
	id, _ := store.StartExchange(ctx, c.deps.Pool, store.Exchange{System: "esia", Operation: "token"})
	login, err := c.deps.ESIA.Exchange(ctx, code)
	c.finishExchange(r, id, err, "")
	if err != nil {
		return nil, esia.Person{}, err
	}
	oid := strconv.FormatInt(login.Identity.OID, 10)
	id, _ = store.StartExchange(ctx, c.deps.Pool, store.Exchange{System: "esia", Operation: "person", Request: "oid " + oid})
	person, err := c.deps.ESIA.Person(ctx, login.Token.AccessToken, login.Identity.OID)
	c.finishExchange(r, id, err, "")
	return login, person, err
}

func (c *Cabinet) finishExchange(r *http.Request, id int64, err error, response string) {
	if id == 0 {
		return
	}
	e := store.Exchange{Outcome: "ok", Response: response}
	if err != nil {
		e.Outcome, e.Error = "error", err.Error()
	}
	if ferr := store.FinishExchange(r.Context(), c.deps.Pool, id, e); ferr != nil {
		c.deps.Logger.ErrorContext(r.Context(), "cabinet: log ESIA exchange", "error", ferr)
	}
}

// esiaUserError turns a login failure into a Russian sentence; details stay in the audit log.
// An error ESIA sent back with the browser is a refusal the resident reads (403), never an
// internal error: the query is the caller's to write, and nothing of it is echoed but a code.
func esiaUserError(err error) error {
	var e *esia.Error
	switch {
	case errors.Is(err, esia.ErrStateMismatch):
		return apperr.E(apperr.Permission, "esia callback", "Вход не был начат в этом браузере, устарел или уже завершён. Начните вход заново.")
	case errors.As(err, &e) && e.Err == "access_denied" && e.Code == "":
		return apperr.E(apperr.Permission, "esia callback", "Вход через Госуслуги отменён.")
	case errors.As(err, &e):
		return apperr.E(apperr.Permission, "esia callback", esiaExplanation(e)+" (код "+codeOr(e)+").")
	default:
		return &apperr.Error{Kind: apperr.Unavailable, Op: "esia callback",
			Message: "Не удалось подтвердить вход через Госуслуги. Попробуйте ещё раз.", Err: err}
	}
}

// esiaCodes explains ESIA's own error codes to residents.
var esiaCodes = map[string]string{
	"ESIA-007053": "Госуслуги не признали подпись расчётного центра (сертификат системы не совпадает или не активен). Это ошибка настройки на нашей стороне: сообщите в расчётный центр",
	"ESIA-007014": "Госуслуги получили неполный запрос на вход. Это ошибка настройки на нашей стороне: сообщите в расчётный центр",
	"ESIA-007004": "Вход через Госуслуги отклонён: доступ к данным не разрешён",
}

// oauthErrors explains the standard OAuth 2.0 errors ESIA may send.
var oauthErrors = map[string]string{
	"access_denied":             "Госуслуги отклонили вход",
	"invalid_request":           "Госуслуги отклонили запрос на вход как неверный",
	"unauthorized_client":       "Госуслуги не разрешают расчётному центру такой вход",
	"invalid_scope":             "Госуслуги не выдали запрошенные данные",
	"server_error":              "На Госуслугах произошла ошибка. Попробуйте войти позже",
	"temporarily_unavailable":   "Госуслуги временно недоступны. Попробуйте войти позже",
	"unsupported_response_type": "Госуслуги отклонили запрос на вход как неверный",
}

func esiaExplanation(e *esia.Error) string {
	if m, ok := esiaCodes[e.Code]; ok {
		return m
	}
	if m, ok := oauthErrors[e.Err]; ok {
		return m
	}
	return "Госуслуги отклонили вход. Попробуйте ещё раз или обратитесь в расчётный центр"
}

// codeOr names the error by ESIA's code, or by the OAuth error when it is a plain word; the
// query is attacker-controlled, so anything else is not echoed.
func codeOr(e *esia.Error) string {
	if safeWord.MatchString(e.Code) {
		return e.Code
	}
	if safeWord.MatchString(e.Err) {
		return e.Err
	}
	return "ошибка"
}

var safeWord = regexp.MustCompile(`^[A-Za-z0-9_-]{1,40}$`)
