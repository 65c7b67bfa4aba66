package mail_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// smtpServer speaks just enough SMTP (RFC 5321, STARTTLS, AUTH PLAIN) on loopback to receive
// one letter. With tlsCfg it offers STARTTLS and, once on TLS, AUTH.
func smtpServer(t *testing.T, tlsCfg *tls.Config) (addr string, got chan string) {
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
		var conn net.Conn = c
		r := bufio.NewReader(conn)
		say := func(s string) { conn.Write([]byte(s + "\r\n")) }
		say("220 test ESMTP")
		var env, data strings.Builder
		onTLS := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				switch {
				case tlsCfg != nil && !onTLS:
					say("250-test\r\n250 STARTTLS")
				case onTLS:
					say("250-test\r\n250 AUTH PLAIN")
				default:
					say("250 test")
				}
			case cmd == "STARTTLS" && tlsCfg != nil:
				say("220 go ahead")
				tc := tls.Server(c, tlsCfg)
				if err := tc.Handshake(); err != nil {
					return
				}
				conn, r, onTLS = tc, bufio.NewReader(tc), true
				env.WriteString("TLS\n")
			case strings.HasPrefix(cmd, "AUTH PLAIN"):
				cred, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(line[len("AUTH PLAIN"):]))
				env.WriteString("AUTH " + strings.ReplaceAll(string(cred), "\x00", "|") + "\n")
				say("235 ok")
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
	addr, got := smtpServer(t, nil)
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

// selfSigned returns a server certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp test"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestSMTPStartTLSAndAuth(t *testing.T) {
	cert, pool := selfSigned(t)
	addr, got := smtpServer(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	m := &mail.SMTP{Addr: addr, From: "noreply@zhkhgate.example", Username: "mailer", Password: "s3cret", TLS: &tls.Config{RootCAs: pool}}
	if err := m.Send(context.Background(), mail.Message{To: "a@example.org", Subject: "s", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	letter := <-got
	tlsAt, authAt := strings.Index(letter, "TLS\n"), strings.Index(letter, "AUTH |mailer|s3cret")
	if tlsAt < 0 || authAt < tlsAt || strings.Index(letter, "MAIL FROM") < tlsAt {
		t.Errorf("password or letter not behind STARTTLS:\n%s", letter)
	}
	// Without the CA, the handshake is refused and nothing is sent.
	addr2, _ := smtpServer(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	m2 := &mail.SMTP{Addr: addr2, From: "noreply@zhkhgate.example", Username: "mailer", Password: "s3cret"}
	if err := m2.Send(context.Background(), mail.Message{To: "a@example.org", Subject: "s", Body: "b"}); err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("untrusted server certificate: %v", err)
	}
}

func TestLoggedRecordsExchanges(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	addr, _ := smtpServer(t, nil)
	l := &mail.Logged{Next: &mail.SMTP{Addr: addr, From: "noreply@zhkhgate.example"}, DB: db}
	if err := l.Send(ctx, mail.Message{To: "a@example.org", Subject: "Подтверждение", Body: "secret link"}); err != nil {
		t.Fatal(err)
	}
	down := &mail.Logged{Next: &mail.SMTP{Addr: "127.0.0.1:1", From: "noreply@zhkhgate.example"}, DB: db}
	if err := down.Send(ctx, mail.Message{To: "b@example.org", Subject: "x", Body: "y"}); err == nil {
		t.Error("send to a closed port succeeded")
	}
	ex, err := store.RecentExchanges(ctx, db, "mail", 10)
	if err != nil || len(ex) != 2 {
		t.Fatalf("exchanges = %+v, %v", ex, err)
	}
	if ex[0].Outcome != "error" || !strings.Contains(ex[0].Error, "127.0.0.1:1") || ex[1].Outcome != "ok" || ex[1].Operation != "send" {
		t.Errorf("exchanges = %+v", ex)
	}
}
