// Package session keeps server-side login sessions in PostgreSQL for staff
// (admin console) and residents (cabinet): a random token in an HttpOnly,
// SameSite cookie, only its SHA-256 stored; a per-session CSRF token that
// every state-changing form must echo; idle and absolute timeouts.
package session

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// CSRFField is the form field (and X-CSRF-Token header) carrying the CSRF token.
const CSRFField = "csrf_token"

// Manager issues and checks sessions of one kind of subject.
type Manager struct {
	// Pool is where sessions are stored.
	Pool *pgxpool.Pool
	// Kind is "staff" or "resident".
	Kind string
	// CookieName names the session cookie.
	CookieName string
	// CookiePath limits the cookie, e.g. "/admin". Defaults to "/".
	CookiePath string
	// Idle ends a session unused this long. Defaults to 15 minutes.
	Idle time.Duration
	// Absolute ends a session this long after login whatever its use. Defaults to 12 hours.
	Absolute time.Duration
	// Secure marks the cookie Secure; set it when served over TLS.
	Secure bool
	// Now is the clock timeouts are measured with; time.Now when nil (tests
	// move it instead of sleeping).
	Now func() time.Time
}

// Session is a live session.
type Session = store.Session

// Start creates a session for subjectID and sets its cookie. Any session
// the request already carried is ended first (no session fixation).
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, subjectID int64) (Session, error) {
	if c, err := r.Cookie(m.CookieName); err == nil {
		_ = store.DeleteSession(ctx, m.Pool, hash(c.Value))
	}
	token, csrf, now := randomToken(), randomToken(), m.now()
	s := Session{TokenHash: hash(token), SubjectKind: m.Kind, SubjectID: subjectID, CSRFToken: csrf,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(m.absolute())}
	if err := store.CreateSession(ctx, m.Pool, s); err != nil {
		return s, err
	}
	http.SetCookie(w, &http.Cookie{Name: m.CookieName, Value: token, Path: cmp.Or(m.CookiePath, "/"),
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteLaxMode, Expires: s.ExpiresAt})
	return s, nil
}

// Load returns the request's live session, or a NotFound error when there
// is none, it expired, or the cookie was tampered with.
func (m *Manager) Load(r *http.Request) (Session, error) {
	c, err := r.Cookie(m.CookieName)
	if err != nil || c.Value == "" {
		return Session{}, apperr.E(apperr.NotFound, "load session", "not logged in")
	}
	s, err := store.TouchSession(r.Context(), m.Pool, hash(c.Value), m.idle(), m.now())
	if err != nil {
		return s, err
	}
	if s.SubjectKind != m.Kind {
		return Session{}, apperr.E(apperr.NotFound, "load session", "not logged in")
	}
	return s, nil
}

// End deletes the request's session and clears the cookie.
func (m *Manager) End(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(m.CookieName); err == nil {
		_ = store.DeleteSession(r.Context(), m.Pool, hash(c.Value))
	}
	http.SetCookie(w, &http.Cookie{Name: m.CookieName, Value: "", Path: cmp.Or(m.CookiePath, "/"), MaxAge: -1,
		HttpOnly: true, Secure: m.Secure, SameSite: http.SameSiteLaxMode})
}

// EndAll deletes every session of subjectID ("log out everywhere").
func (m *Manager) EndAll(ctx context.Context, subjectID int64) (int64, error) {
	return store.DeleteSubjectSessions(ctx, m.Pool, m.Kind, subjectID)
}

// EndOthers deletes every session of subjectID except the request's own (after
// a password or e-mail change).
func (m *Manager) EndOthers(ctx context.Context, r *http.Request, subjectID int64) (int64, error) {
	var keep []byte
	if c, err := r.Cookie(m.CookieName); err == nil {
		keep = hash(c.Value)
	}
	return store.DeleteOtherSessions(ctx, m.Pool, m.Kind, subjectID, keep)
}

// CheckCSRF verifies that a state-changing request carries the session's
// CSRF token in the form field or the X-CSRF-Token header.
func CheckCSRF(r *http.Request, s Session) error {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue(CSRFField)
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRFToken)) != 1 {
		return apperr.E(apperr.Permission, "check csrf", "the form is stale or forged: reload the page and try again")
	}
	return nil
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *Manager) idle() time.Duration     { return cmp.Or(m.Idle, 15*time.Minute) }
func (m *Manager) absolute() time.Duration { return cmp.Or(m.Absolute, 12*time.Hour) }

func hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("session: no randomness: %v", err)) // crypto/rand never fails on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
