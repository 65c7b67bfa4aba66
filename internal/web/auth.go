package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/session"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Staff is the logged-in staff user of an admin request.
type Staff struct {
	User    store.StaffUser
	Session session.Session
}

// HashPassword hashes a staff password with bcrypt.
func HashPassword(password string) (string, error) {
	if len(password) < 8 {
		return "", apperr.Invalidf("hash password", "password must be at least 8 characters")
	}
	if len(password) > 72 {
		return "", apperr.Invalidf("hash password", "password must be at most 72 bytes")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
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
		if u, err := store.StaffUserByID(r.Context(), s.deps.Pool, sess.SubjectID); err != nil || u.Disabled {
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "admin_login", nil, map[string]any{"Next": safeNext(r.URL.Query().Get("next"))})
}

// errBadLogin is deliberately the same for unknown logins and wrong passwords.
var errBadLogin = apperr.E(apperr.Permission, "staff login", "wrong login or password")

// Staff logins lock for lockoutWindow after maxFailedLogins failures within it.
const (
	maxFailedLogins = 5
	lockoutWindow   = 15 * time.Minute
)

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login := strings.TrimSpace(r.PostFormValue("login"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	failed, err := store.CountAudit(ctx, s.deps.Pool, "staff.login_failed", "staff_user", login, time.Now().Add(-lockoutWindow))
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	if failed >= maxFailedLogins {
		w.Header().Set("Retry-After", fmt.Sprint(int(lockoutWindow.Seconds())))
		s.render(w, r, http.StatusTooManyRequests, "admin_login", nil, map[string]any{"Next": next, "Login": login,
			"Error": fmt.Sprintf("too many failed attempts for this login; try again in %d minutes", int(lockoutWindow.Minutes()))})
		return
	}
	u, err := store.StaffUserByLogin(ctx, s.deps.Pool, login)
	if err == nil && !u.Disabled && bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil {
		if _, err := s.staff.Start(ctx, w, r, u.ID); err != nil {
			s.fail(w, r, nil, err)
			return
		}
		_ = store.Audit(ctx, s.deps.Pool, store.AuditEntry{ActorKind: "staff", ActorID: u.ID, Action: "staff.login",
			ObjectKind: "staff_user", ObjectID: u.Login})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		s.fail(w, r, nil, err)
		return
	}
	_ = store.Audit(ctx, s.deps.Pool, store.AuditEntry{ActorKind: "system", Action: "staff.login_failed",
		ObjectKind: "staff_user", ObjectID: login, Details: map[string]any{"remote": r.RemoteAddr}})
	s.render(w, r, http.StatusUnauthorized, "admin_login", nil, map[string]any{"Next": next, "Error": errBadLogin.Message, "Login": login})
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
