package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

func TestMailPage(t *testing.T) {
	ctx := context.Background()
	b := setup(t)
	pool := b.pool

	if err := store.SaveCapturedMail(ctx, pool, "ivanov@example.org", "Подтверждение адреса", "Откройте ссылку <b>http://127.0.0.1/confirm?t=abc</b>"); err != nil {
		t.Fatal(err)
	}
	if err := store.SaveCapturedMail(ctx, pool, "other@example.org", "Другое письмо", "x"); err != nil {
		t.Fatal(err)
	}
	if code, body := b.get(t, "/admin/mail"); code != 200 || !strings.Contains(body, "Вход для сотрудников") {
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
