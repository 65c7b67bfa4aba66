package mail

import (
	"context"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Logged records every letter handed to Next in the exchange log (system "mail") before it
// is sent, with the outcome after: recipient and subject, never the body, which carries
// one-time links.
type Logged struct {
	Next Mailer
	DB   store.DBTX
}

// Send implements Mailer.
func (l *Logged) Send(ctx context.Context, m Message) error {
	id, err := store.StartExchange(ctx, l.DB, store.Exchange{System: "mail", Operation: "send",
		Request: "To: " + m.To + "\nSubject: " + m.Subject})
	if err != nil {
		return err
	}
	sendErr := l.Next.Send(ctx, m)
	e := store.Exchange{Outcome: "ok"}
	if sendErr != nil {
		e.Outcome, e.Error = "error", sendErr.Error()
	}
	if err := store.FinishExchange(ctx, l.DB, id, e); err != nil && sendErr == nil {
		return err
	}
	return sendErr
}
