// Package mail sends letters to residents (e-mail confirmation, password reset) through the
// Mailer interface: SMTP in production, a capture into the database for the demo and tests,
// shown in the admin console.
package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	netmail "net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Message is one plain-text letter.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends letters.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// check rejects addresses that do not parse and headers that would smuggle extra headers.
func (m Message) check() (*netmail.Address, error) {
	to, err := netmail.ParseAddress(m.To)
	if err != nil || to.Name != "" {
		return nil, apperr.Invalidf("send mail", "recipient %q is not a bare e-mail address", m.To)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, apperr.Invalidf("send mail", "subject contains a line break")
	}
	return to, nil
}

// SMTP sends through an SMTP server, with STARTTLS when the server offers it.
type SMTP struct {
	// Addr is host:port of the server.
	Addr string
	// From is the sender address.
	From string
	// Username and Password enable PLAIN authentication (only over TLS or to localhost, as
	// net/smtp enforces).
	Username, Password string
	// Timeout bounds one delivery; 30 seconds when zero.
	Timeout time.Duration
	// TLS configures STARTTLS (e.g. RootCAs for an internal CA); nil uses the system roots.
	TLS *tls.Config
}

// Send implements Mailer.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	to, err := m.check()
	if err != nil {
		return err
	}
	from, err := netmail.ParseAddress(s.From)
	if err != nil {
		return apperr.Invalidf("send mail", "sender %q is not an e-mail address", s.From)
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: connect to "+s.Addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return apperr.Wrap(apperr.Unavailable, "send mail: greet "+s.Addr, err)
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: hello", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLS
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = host
		}
		if err := c.StartTLS(cfg); err != nil {
			return apperr.Wrap(apperr.Unavailable, "send mail: starttls", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return apperr.Wrap(apperr.Unavailable, "send mail: auth", err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: MAIL FROM", err)
	}
	if err := c.Rcpt(to.Address); err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: DATA", err)
	}
	if _, err := w.Write(Compose(from.Address, to.Address, m.Subject, m.Body, time.Now())); err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: write", err)
	}
	if err := w.Close(); err != nil {
		return apperr.Wrap(apperr.Unavailable, "send mail: end of DATA", err)
	}
	return c.Quit()
}

// Compose renders an RFC 5322 letter: UTF-8 subject as an encoded word, base64 body.
func Compose(from, to, subject, body string, date time.Time) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\n", from, to,
		mime.BEncoding.Encode("utf-8", subject), date.Format(time.RFC1123Z))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}

// Capture keeps letters in the database instead of sending them (demo and tests); the admin
// console shows them.
type Capture struct {
	DB store.DBTX
}

// Send implements Mailer.
func (c *Capture) Send(ctx context.Context, m Message) error {
	to, err := m.check()
	if err != nil {
		return err
	}
	return store.SaveCapturedMail(ctx, c.DB, to.Address, m.Subject, m.Body)
}
