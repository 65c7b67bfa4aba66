package web

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/password"
	"github.com/zhkhgate/zhkhgate/internal/session"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/web/formcheck"
)

// Staff is the logged-in staff user of an admin request.
type Staff struct {
	User    store.StaffUser
	Session session.Session
}

// HashPassword checks a staff password against the password policy and
// hashes it with bcrypt.
func HashPassword(pw string) (string, error) { return HashStaffPassword("", pw) }

// HashStaffPassword is HashPassword for the staff user login, whose password
// must not contain the login.
func HashStaffPassword(login, pw string) (string, error) {
	if err := password.Check(pw, login); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// staffFor loads the staff session of r. Without one it redirects to the
// login page (GET) or answers 401; a state-changing request must also carry
// the session's CSRF token.
func (s *Server) staffFor(w http.ResponseWriter, r *http.Request) (*Staff, bool) {
	sess, err := s.staff.Load(r)
	if err != nil {
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		} else {
			http.Error(w, "login required", http.StatusUnauthorized)
		}
		return nil, false
	}
	u, err := store.StaffUserByID(r.Context(), s.deps.Pool, sess.SubjectID)
	if err != nil || u.Disabled {
		s.staff.End(w, r)
		http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
		return nil, false
	}
	st := &Staff{User: u, Session: sess}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if err := session.CheckCSRF(r, sess); err != nil {
			s.fail(w, r, st, err)
			return nil, false
		}
	}
	if err := formcheck.CheckMultipart(r); err != nil {
		s.fail(w, r, st, err)
		return nil, false
	}
	if p, ok := permissionOf(r); !ok || !may(u.Role, p) {
		s.fail(w, r, st, errForbidden(u.Role))
		return nil, false
	}
	return st, true
}

// requireStaff guards a handler we do not own (River UI). Its JSON API is
// protected from cross-site use by the cross-origin check on the root handler.
func (s *Server) requireStaff(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.staff.Load(r)
		if err != nil {
			if r.Method == http.MethodGet && !strings.Contains(r.URL.Path, "/api/") {
				http.Redirect(w, r, "/admin/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		u, err := store.StaffUserByID(r.Context(), s.deps.Pool, sess.SubjectID)
		if err != nil || u.Disabled {
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		if !may(u.Role, riverUIPermission(r)) {
			http.Error(w, "вашей роли («"+ruLabel(u.Role)+"») не разрешено менять задания; обратитесь к администратору", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin_login", nil, map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// errBadLogin is deliberately the same for unknown logins and wrong passwords.
var errBadLogin = apperr.E(apperr.Permission, "staff login", "неверный логин или пароль")

// Staff logins lock for lockoutWindow after maxFailedLogins failures within it; one client
// address may try ipAttempts logins an hour. Both are reserved in the database before the
// password is checked, so parallel attempts cannot pass together.
const (
	maxFailedLogins = 5
	lockoutWindow   = 15 * time.Minute
	ipAttempts      = 30
	ipWindow        = time.Hour
)

var (
	staffLoginLimit = store.Limit{Max: maxFailedLogins, Window: lockoutWindow, Block: lockoutWindow}
	staffIPLimit    = store.Limit{Max: ipAttempts, Window: ipWindow}
)

// dummyHash is checked for unknown logins so both answers take as long.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login := strings.TrimSpace(r.PostFormValue("login"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	refuse := func(res store.Reservation, msg string) {
		w.Header().Set("Retry-After", fmt.Sprint(int(res.RetryAfter.Seconds()+0.999)))
		s.render(w, r, http.StatusTooManyRequests, "admin_login", nil, map[string]any{"Next": next, "Login": login, "Error": msg})
	}
	ipKey := "staff:ip:" + remoteIP(r)
	res, err := store.ReserveAttempt(ctx, s.deps.Pool, ipKey, staffIPLimit, s.now())
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if !res.Allowed {
		refuse(res, "слишком много попыток входа с этого адреса; попробуйте позже")
		return
	}
	key := "staff:login:" + login
	res, err = store.ReserveAttempt(ctx, s.deps.Pool, key, staffLoginLimit, s.now())
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if !res.Allowed {
		refuse(res, fmt.Sprintf("слишком много неудачных попыток для этого логина; попробуйте через %d мин.", int(res.RetryAfter.Round(time.Minute).Minutes())))
		return
	}
	u, err := store.StaffUserByLogin(ctx, s.deps.Pool, login)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		s.fail(w, r, nil, err)
		return
	}
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	if s.checkPassword(hash, password) && err == nil && !u.Disabled {
		_ = store.ReleaseAttempt(ctx, s.deps.Pool, key, staffLoginLimit)
		_ = store.ReleaseAttempt(ctx, s.deps.Pool, ipKey, staffIPLimit)
		if _, err := s.staff.Start(ctx, w, r, u.ID); err != nil {
			s.fail(w, r, nil, err)
			return
		}
		_ = store.Audit(ctx, s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: u.ID, Action: "staff.login",
			ObjectKind: "staff_user", ObjectID: u.Login})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	_ = store.Audit(ctx, s.deps.Pool, store.AuditEntry{ActorKind: "system", Action: "staff.login_failed",
		ObjectKind: "staff_user", ObjectID: login, Details: map[string]any{"remote": r.RemoteAddr}})
	s.render(w, r, http.StatusUnauthorized, "admin_login", nil, map[string]any{"Next": next, "Error": errBadLogin.Message, "Login": login})
}

// checkPassword compares a password with its bcrypt hash (counted by the test hook).
func (s *Server) checkPassword(hash []byte, password string) bool {
	if s.deps.OnCheck != nil {
		s.deps.OnCheck("password")
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

func (s *Server) now() time.Time {
	if s.deps.Now != nil {
		return s.deps.Now()
	}
	return time.Now()
}

// remoteIP is the peer address without its port.
func remoteIP(r *http.Request) string {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().String()
	}
	return r.RemoteAddr
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, st *Staff) {
	s.staff.End(w, r)
	_ = store.Audit(r.Context(), s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: st.User.ID, Action: "staff.logout",
		ObjectKind: "staff_user", ObjectID: st.User.Login})
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// safeNext keeps post-login redirects inside the admin console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/admin/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return "/admin/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/admin/"
	}
	return next
}

// setFlash keeps a one-time notice in the staff session, shown by the next
// page; notices never come from the URL, so no one can put words in it.
func (s *Server) setFlash(r *http.Request, st *Staff, msg string) {
	if err := store.SetFlash(r.Context(), s.deps.Pool, st.Session.TokenHash, msg); err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "web: set flash", "error", err)
	}
}

// takeFlash returns and clears the session's notice.
func (s *Server) takeFlash(r *http.Request, st *Staff) string {
	msg, err := store.TakeFlash(r.Context(), s.deps.Pool, st.Session.TokenHash)
	if err != nil {
		s.deps.Logger.ErrorContext(r.Context(), "web: take flash", "error", err)
	}
	return msg
}
