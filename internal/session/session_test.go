package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	m := &Manager{Pool: pool, Kind: "staff", CookieName: "s"}
	ctx := context.Background()

	rec := httptest.NewRecorder()
	s, err := m.Start(ctx, rec, httptest.NewRequest("POST", "/login", nil), 42)
	if err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Errorf("cookie flags: HttpOnly=%v SameSite=%v", cookie.HttpOnly, cookie.SameSite)
	}
	req := func(c *http.Cookie) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		if c != nil {
			r.AddCookie(c)
		}
		return r
	}
	got, err := m.Load(req(cookie))
	if err != nil || got.SubjectID != 42 || got.CSRFToken != s.CSRFToken {
		t.Fatalf("Load = %+v, %v", got, err)
	}

	cases := []struct {
		name   string
		cookie *http.Cookie
	}{
		{"no cookie", nil},
		{"tampered", &http.Cookie{Name: "s", Value: cookie.Value[:len(cookie.Value)-1] + "x"}},
		{"empty", &http.Cookie{Name: "s", Value: ""}},
	}
	for _, tc := range cases {
		if _, err := m.Load(req(tc.cookie)); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("%s: err = %v, want NotFound", tc.name, err)
		}
	}
	// A resident manager does not accept a staff session.
	other := &Manager{Pool: pool, Kind: "resident", CookieName: "s"}
	if _, err := other.Load(req(cookie)); err == nil {
		t.Error("resident manager accepted a staff session")
	}
	if n, err := m.EndAll(ctx, 42); err != nil || n != 1 {
		t.Errorf("EndAll = %d, %v", n, err)
	}
	if _, err := m.Load(req(cookie)); err == nil {
		t.Error("session survived EndAll")
	}
}

func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	m := &Manager{Pool: pool, Kind: "staff", CookieName: "s", Idle: time.Minute}
	rec := httptest.NewRecorder()
	if _, err := m.Start(context.Background(), rec, httptest.NewRequest("POST", "/", nil), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE sessions SET last_seen_at = now() - interval '2 minutes'`); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(rec.Result().Cookies()[0])
	if _, err := m.Load(r); !apperr.Is(err, apperr.NotFound) {
		t.Fatalf("idle session loaded: %v", err)
	}
}

func TestCheckCSRF(t *testing.T) {
	t.Parallel()
	s := Session{CSRFToken: "good"}
	post := func(v string) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(url.Values{CSRFField: {v}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	if err := CheckCSRF(post("good"), s); err != nil {
		t.Errorf("good token rejected: %v", err)
	}
	for _, bad := range []string{"", "bad", "goo"} {
		if err := CheckCSRF(post(bad), s); !apperr.Is(err, apperr.Permission) {
			t.Errorf("token %q: err = %v, want Permission", bad, err)
		}
	}
}
