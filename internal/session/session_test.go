package session

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
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

// clock is a test clock the handlers may read while the test moves it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// TestTimeouts moves the clock instead of sleeping: an unused session ends
// after Idle, a used one lives on until Absolute.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	pool := testdb.New(t)
	c := &clock{now: time.Now()}
	m := &Manager{Pool: pool, Kind: "staff", CookieName: "s", Idle: time.Minute, Absolute: 3 * time.Minute, Now: c.Now}
	start := func() *http.Cookie {
		rec := httptest.NewRecorder()
		if _, err := m.Start(context.Background(), rec, httptest.NewRequest("POST", "/", nil), 1); err != nil {
			t.Fatal(err)
		}
		return rec.Result().Cookies()[0]
	}
	load := func(ck *http.Cookie) error {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(ck)
		_, err := m.Load(r)
		return err
	}
	used, unused := start(), start()
	for i := range 3 {
		c.advance(50 * time.Second) // within Idle each time
		if err := load(used); err != nil {
			t.Fatalf("used session ended at step %d: %v", i, err)
		}
	}
	if err := load(unused); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unused for 150s with a 1m idle timeout: %v, want NotFound", err)
	}
	c.advance(40 * time.Second) // 190s: past Absolute, 40s since the last use
	if err := load(used); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("used session past its absolute timeout: %v, want NotFound", err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d sessions left after both ended (%v)", n, err)
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
