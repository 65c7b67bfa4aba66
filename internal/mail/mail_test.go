package mail_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// smtpServer speaks just enough SMTP (RFC 5321) on loopback to receive one letter.
func smtpServer(t *testing.T) (addr string, got chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got = make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		say := func(s string) { c.Write([]byte(s + "\r\n")) }
		say("220 test ESMTP")
		var env, data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 test")
			case strings.HasPrefix(cmd, "MAIL FROM"), strings.HasPrefix(cmd, "RCPT TO"):
				env.WriteString(strings.TrimSpace(line) + "\n")
				say("250 ok")
			case cmd == "DATA":
				say("354 go")
				for {
					l, err := r.ReadString('\n')
					if err != nil || l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				say("250 queued")
			case cmd == "QUIT":
				say("221 bye")
				got <- env.String() + "\n" + data.String()
				return
			default:
				say("502 unknown")
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestSMTP(t *testing.T) {
	addr, got := smtpServer(t)
	m := &mail.SMTP{Addr: addr, From: "noreply@zhkhgate.example"}
	body := "Здравствуйте!\nПерейдите по ссылке: http://127.0.0.1/confirm?t=abc"
	if err := m.Send(context.Background(), mail.Message{To: "ivanov@example.org", Subject: "Подтверждение адреса", Body: body}); err != nil {
		t.Fatal(err)
	}
	letter := <-got
	for _, want := range []string{"MAIL FROM:<noreply@zhkhgate.example>", "RCPT TO:<ivanov@example.org>",
		"Subject: =?utf-8?b?", "Content-Type: text/plain; charset=utf-8"} {
		if !strings.Contains(letter, want) {
			t.Errorf("letter lacks %q:\n%s", want, letter)
		}
	}
	_, b64, _ := strings.Cut(letter, "\r\n\r\n")
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b64, "\r\n", ""))
	if err != nil || string(dec) != body {
		t.Errorf("body = %q, %v", dec, err)
	}
}

func TestHeaderInjection(t *testing.T) {
	m := &mail.SMTP{Addr: "127.0.0.1:1", From: "noreply@zhkhgate.example"}
	for _, msg := range []mail.Message{
		{To: "a@example.org\r\nBcc: victim@example.org", Subject: "x"},
		{To: "Evil <a@example.org>", Subject: "x"},
		{To: "a@example.org", Subject: "x\r\nBcc: victim@example.org"},
		{To: "not an address", Subject: "x"},
	} {
		if err := m.Send(context.Background(), msg); err == nil || !strings.Contains(err.Error(), "send mail") {
			t.Errorf("%q / %q accepted: %v", msg.To, msg.Subject, err)
		}
	}
}

func TestCapture(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	c := &mail.Capture{DB: db}
	if err := c.Send(ctx, mail.Message{To: "Ivanov@Example.org", Subject: "Сброс пароля", Body: "ссылка"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, mail.Message{To: "x\n@y", Subject: "s"}); err == nil {
		t.Error("bad recipient captured")
	}
	got, err := store.RecentCapturedMail(ctx, db, "ivanov@example.org", 10)
	if err != nil || len(got) != 1 || got[0].Subject != "Сброс пароля" {
		t.Fatalf("captured = %+v, %v", got, err)
	}
}
