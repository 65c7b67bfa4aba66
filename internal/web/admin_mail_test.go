package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/metrics"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

func TestMailPage(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{}, Deps{Pool: pool, Jobs: jc, Metrics: metrics.New(pool, logger), Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := HashPassword("correct horse")
	if _, err := store.CreateStaffUser(ctx, pool, store.StaffUser{Login: "admin", PasswordHash: hash, Role: "admin"}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	b := &testBundle{srv: srv, client: &http.Client{Jar: jar}}

	if err := store.SaveCapturedMail(ctx, pool, "ivanov@example.org", "Подтверждение адреса", "Откройте ссылку <b>http://127.0.0.1/confirm?t=abc</b>"); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveCapturedMail(ctx, pool, "other@example.org", "Другое письмо", "x"); err != nil {
		t.Fatal(err)
	}
	if code, body := b.get(t, "/admin/mail"); code != 200 || !strings.Contains(body, "Staff login") {
		t.Fatalf("mail page before login: %d", code)
	}
	b.post(t, "/admin/login", url.Values{"login": {"admin"}, "password": {"correct horse"}})
	code, body := b.get(t, "/admin/mail?to=ivanov@example.org")
	if code != 200 || !strings.Contains(body, "Подтверждение адреса") || !strings.Contains(body, "confirm?t=abc") {
		t.Fatalf("mail page: %d\n%.500s", code, body)
	}
	if strings.Contains(body, "Другое письмо") {
		t.Error("filter by recipient ignored")
	}
	if strings.Contains(body, "<b>http") {
		t.Error("letter body rendered as HTML")
	}
}
