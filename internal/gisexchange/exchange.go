// Package gisexchange is the GIS ZhKH exchange as an application: it plans
// what an organization owes GIS for a subject, builds the signed requests
// from the stored items, sends and polls them, and applies GIS's answers to
// the canonical store. Every subject is one entry of a registry (subjects.go).
//
// It owns no transaction and no job: Sync writes in the caller's
// transaction, and Send and Poll return an Effect the caller (a River
// worker) runs in the transaction that also enqueues the follow-up jobs the
// Effect names and completes the current job, so effects happen once.
package gisexchange

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Client is the part of the GIS ZhKH client the exchange uses;
// *giszhkh.Client implements it.
type Client interface {
	Send(ctx context.Context, req *giszhkh.Request) (giszhkh.Ack, giszhkh.Exchange, error)
	GetState(ctx context.Context, req *giszhkh.Request) (*giszhkh.State, giszhkh.Exchange, error)
}

// Config tunes the exchange.
type Config struct {
	// BankBIK and BankAccount are the payee's bank details payment documents
	// refer to; without them documents cannot be planned.
	BankBIK, BankAccount string
	// Caps bound items per message below the schema's maxOccurs, by
	// subject; missing subjects take the registry's default.
	Caps map[What]int
	// Poll is the getState schedule: the first poll after Poll[0], then
	// Poll[1] … and the last value repeated. Default: the official
	// 10 s, 60 s, 300 s, 900 s, 1800 s.
	Poll []time.Duration
	// ResendAfter is the backoff before a message that failed transiently
	// (EXP001000, HTTP 502/503, timeouts) is sent again; default 2 minutes.
	ResendAfter time.Duration
}

// Deps are the exchange's collaborators.
type Deps struct {
	Builder *giszhkh.Builder
	Client  Client
	// Now is the clock polling decides by; time.Now when nil.
	Now    func() time.Time
	Logger *slog.Logger
}

// DefaultPoll is the official getState schedule.
var DefaultPoll = []time.Duration{10 * time.Second, 60 * time.Second, 300 * time.Second, 900 * time.Second, 1800 * time.Second}

// Exchange runs the GIS ZhKH exchange.
type Exchange struct {
	cfg  Config
	deps Deps
}

// New checks cfg and deps and fills the defaults.
func New(cfg Config, deps Deps) (*Exchange, error) {
	if deps.Builder == nil || deps.Client == nil {
		return nil, apperr.E(apperr.Invalid, "gis exchange", "Builder and Client are required")
	}
	if (cfg.BankBIK == "") != (cfg.BankAccount == "") {
		return nil, apperr.E(apperr.Invalid, "gis exchange", "the payee's bank BIK and account go together: set both or neither")
	}
	caps := map[What]int{}
	for w, n := range cfg.Caps {
		s, ok := Lookup(w)
		if !ok || s.Export {
			return nil, apperr.Invalidf("gis exchange", "cap of %q: want one of %v", w, ItemSubjects())
		}
		if n < 1 {
			return nil, apperr.Invalidf("gis exchange", "cap of %s: %d, want at least 1", w, n)
		}
		caps[w] = n
	}
	cfg.Caps = caps
	for _, d := range cfg.Poll {
		if d <= 0 {
			return nil, apperr.Invalidf("gis exchange", "poll schedule %v: every delay must be positive", cfg.Poll)
		}
	}
	if len(cfg.Poll) == 0 {
		cfg.Poll = DefaultPoll
	}
	cfg.ResendAfter = cmp.Or(cfg.ResendAfter, 2*time.Minute)
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	return &Exchange{cfg: cfg, deps: deps}, nil
}

// Builder returns the request builder (GUIDs, signatures).
func (x *Exchange) Builder() *giszhkh.Builder { return x.deps.Builder }

func (x *Exchange) now() time.Time { return x.deps.Now() }

// pollAfter is the delay before poll n (from 0).
func (x *Exchange) pollAfter(n int) time.Duration {
	return x.cfg.Poll[min(n, len(x.cfg.Poll)-1)]
}

// Follow names the jobs a committed effect asks for.
type Follow struct {
	// Send are messages to send.
	Send []int64
	// Poll is a message to poll (0: none), not before PollAt (zero: now).
	Poll   int64
	PollAt time.Time
	// Resync asks for the same sync again (work arrived while it ran).
	Resync bool
	// Sync are syncs to queue.
	Sync []Scope
}

// Effect writes a step's result in the caller's transaction and returns
// the follow-up work; the caller enqueues it and completes its job in the
// same transaction.
type Effect func(ctx context.Context, tx pgx.Tx) (Follow, error)

// nothing is the effect of a step with nothing left to do.
func nothing(context.Context, pgx.Tx) (Follow, error) { return Follow{}, nil }

// Scope is what one sync covers.
type Scope struct {
	OrgID int64
	What  What
	// Period is "2026-10"; the subjects with Period need it.
	Period string
}

// ParsePeriod reads "2026-10" as the first day of that month.
func ParsePeriod(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, apperr.Invalidf("gis period", "period %q: want YYYY-MM, e.g. 2026-10", s)
	}
	return t, nil
}

// Org returns the orgPPAGUID a message of operation op needs in its
// header: "" for ISRequestHeader operations (the organization registry and
// common reference books), which exchange before an organization is known.
func Org(ctx context.Context, db store.DBTX, orgID int64, service giszhkh.Service, op string) (string, error) {
	info, err := giszhkh.LookupOperation(service, op)
	if err != nil {
		return "", err
	}
	if info.Header == "ISRequestHeader" {
		return "", nil
	}
	return store.GISOrgPPAGUID(ctx, db, orgID)
}

// Sync plans the scope and stores its messages with their items in tx
// (TransportGUIDs are stored before anything is sent); Follow.Send names
// the messages to send. Objects that became due while it planned (a second
// registry posted meanwhile, whose own sync request was a duplicate of this
// running one) set Follow.Resync: the caller queues the same sync again.
func (x *Exchange) Sync(ctx context.Context, tx pgx.Tx, sc Scope) (Follow, error) {
	plans, err := x.Plan(ctx, tx, sc)
	if err != nil {
		return Follow{}, err
	}
	var f Follow
	seen := map[int64]bool{}
	for _, p := range plans {
		id, err := store.CreateGISMessage(ctx, tx, p.Message, p.Items)
		if err != nil {
			return Follow{}, err
		}
		if p.Message.State != store.MessageStopped {
			f.Send = append(f.Send, id)
		}
		for _, it := range p.Items {
			seen[it.ObjectID] = true
		}
	}
	if f.Resync, err = x.arrived(ctx, tx, sc, seen); err != nil {
		return Follow{}, err
	}
	return f, nil
}

// arrived reports whether a sync of sc would now plan objects beyond seen:
// planning again in the same transaction sees what other transactions
// committed since, and not what this sync has just put in flight.
func (x *Exchange) arrived(ctx context.Context, tx pgx.Tx, sc Scope, seen map[int64]bool) (bool, error) {
	if s, _ := Lookup(sc.What); s.Export {
		return false, nil
	}
	again, err := x.Plan(ctx, tx, sc)
	if err != nil {
		return false, err
	}
	for _, p := range again {
		for _, it := range p.Items {
			if !seen[it.ObjectID] {
				return true, nil
			}
		}
	}
	return false, nil
}

// Due lists the syncs with work waiting: objects that a sync would send and
// that no item carries (never planned, or whose sync was lost). A periodic
// sweep queues them.
func Due(ctx context.Context, db store.DBTX) ([]Scope, error) {
	work, err := store.GISUnsentWork(ctx, db)
	if err != nil {
		return nil, err
	}
	return Scopes(work)
}

// Send signs and sends a stored message. The envelope and our MessageGUID
// are stored before the HTTP call; the returned Effect stores the Ack and
// asks for the first poll. A crash in between leaves the message 'sending'
// with its envelope, and the next Send sends that same envelope again —
// same MessageGUID, which GIS answers with the same Ack — instead of a new
// message that could place everything twice. A transient failure is a
// NotReady error carrying the backoff.
func (x *Exchange) Send(ctx context.Context, db store.DBTX, id int64) (Effect, error) {
	m, items, err := store.GetGISMessage(ctx, db, id)
	if err != nil {
		return nil, err
	}
	switch m.State {
	case store.MessageDone, store.MessageStopped:
		return nothing, nil
	case store.MessageSent:
		return x.sent(m, "", ""), nil
	}
	org, err := Org(ctx, db, m.OrgID, giszhkh.Service(m.Service), m.Operation)
	if err != nil {
		return nil, err
	}
	var req *giszhkh.Request
	if m.State == store.MessageSending && m.MessageGUID != nil && m.Request != "" {
		info, err := giszhkh.LookupOperation(giszhkh.Service(m.Service), m.Operation)
		if err != nil {
			return nil, err
		}
		req = &giszhkh.Request{Operation: info, MessageGUID: *m.MessageGUID, Envelope: []byte(m.Request)}
	} else {
		req, err = x.Build(ctx, org, m, items)
		if err != nil {
			if apperr.KindOf(err) == apperr.Invalid {
				return stop(id, "BUILD", err.Error()), nil
			}
			return nil, err
		}
		if err := store.MarkGISSending(ctx, db, id, req.MessageGUID, string(req.Envelope)); err != nil {
			return nil, err
		}
	}
	exID, err := store.StartExchange(ctx, db, store.Exchange{System: "gis", Operation: m.Operation, OrgID: &m.OrgID,
		MessageGUID: &req.MessageGUID, Request: string(req.Envelope)})
	if err != nil {
		return nil, err
	}
	ack, ex, sendErr := x.deps.Client.Send(ctx, req)
	fin := store.Exchange{Outcome: "ok", Response: string(ex.Response)}
	if ex.HTTPStatus != 0 {
		fin.HTTPStatus = &ex.HTTPStatus
	}
	if sendErr != nil {
		fin.Outcome, fin.Error = "error", sendErr.Error()
	} else {
		fin.AckGUID = &ack.MessageGUID
	}
	if err := store.FinishExchange(context.WithoutCancel(ctx), db, exID, fin); err != nil {
		return nil, err
	}
	if sendErr != nil {
		return x.sendFailed(ctx, db, m, sendErr)
	}
	return x.sent(m, ack.MessageGUID, string(ex.Response)), nil
}

// sent stores the Ack and asks for the first poll.
func (x *Exchange) sent(m store.GISMessage, ack, response string) Effect {
	return func(ctx context.Context, tx pgx.Tx) (Follow, error) {
		if ack != "" {
			if err := store.MarkGISSent(ctx, tx, m.ID, ack, response); err != nil {
				return Follow{}, err
			}
		}
		f := Follow{Poll: m.ID}
		// A scheduled job waits for River's scheduler (every few seconds); a
		// short first delay is better served by the poller snoozing itself.
		if first := x.pollAfter(0); first >= 5*time.Second {
			f.PollAt = x.now().Add(first)
		}
		return f, nil
	}
}

// sendFailed applies the error policy to a failed send.
func (x *Exchange) sendFailed(ctx context.Context, db store.DBTX, m store.GISMessage, err error) (Effect, error) {
	code, msg := errorCode(err), err.Error()
	if giszhkh.Classify(err) == giszhkh.Resend {
		// After an ambiguous failure GIS may have accepted the message: keep
		// the envelope and send the same message again after the backoff.
		if !ambiguous(err) {
			if err := store.MarkGISRetry(ctx, db, m.ID, code, msg); err != nil {
				return nil, err
			}
		}
		return nil, &apperr.Error{Kind: apperr.NotReady, Op: "gis send", Err: err, RetryAfter: x.cfg.ResendAfter}
	}
	x.deps.Logger.ErrorContext(ctx, "gis message stopped: operator attention needed", "message", m.ID, "operation", m.Operation, "code", code, "error", msg)
	return stop(m.ID, code, msg), nil
}

func stop(id int64, code, msg string) Effect {
	return func(ctx context.Context, tx pgx.Tx) (Follow, error) {
		return Follow{}, store.MarkGISStopped(ctx, tx, id, code, msg)
	}
}

// Poll asks GIS for the state of a sent message. Until GIS has processed
// it, Poll returns a NotReady error carrying the schedule's next delay;
// then the Effect applies every item's result (or the export's answer) to
// the canonical store. Applying is idempotent: settled items are skipped.
func (x *Exchange) Poll(ctx context.Context, db store.DBTX, id int64) (Effect, error) {
	m, _, err := store.GetGISMessage(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if m.State != store.MessageSent || m.AckGUID == nil {
		return nothing, nil // settled, or sent again by a new send job
	}
	if m.SentAt != nil && m.Polls == 0 {
		// GIS asks for the first getState no earlier than the schedule's first delay.
		if wait := m.SentAt.Add(x.pollAfter(0)).Sub(x.now()); wait > 0 {
			return nil, &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Message: "first poll not due yet", RetryAfter: wait}
		}
	}
	org, err := Org(ctx, db, m.OrgID, giszhkh.Service(m.Service), giszhkh.OpGetState)
	if err != nil {
		return nil, err
	}
	req, err := x.deps.Builder.GetState(giszhkh.Service(m.Service), org, *m.AckGUID)
	if err != nil {
		return nil, err
	}
	exID, err := store.StartExchange(ctx, db, store.Exchange{System: "gis", Operation: "getState", OrgID: &m.OrgID,
		MessageGUID: &req.MessageGUID, Request: string(req.Envelope)})
	if err != nil {
		return nil, err
	}
	st, ex, pollErr := x.deps.Client.GetState(ctx, req)
	fin := store.Exchange{Outcome: "ok", Response: string(ex.Response), AckGUID: m.AckGUID}
	if ex.HTTPStatus != 0 {
		fin.HTTPStatus = &ex.HTTPStatus
	}
	if pollErr != nil {
		fin.Outcome, fin.Error = "error", pollErr.Error()
	}
	if err := store.FinishExchange(context.WithoutCancel(ctx), db, exID, fin); err != nil {
		return nil, err
	}
	if pollErr != nil {
		code, msg := errorCode(pollErr), pollErr.Error()
		switch giszhkh.Classify(pollErr) {
		case giszhkh.Lost:
			// GIS does not know the message: send it again.
			return func(ctx context.Context, tx pgx.Tx) (Follow, error) {
				return Follow{Send: []int64{id}}, store.MarkGISRetry(ctx, tx, id, code, msg)
			}, nil
		case giszhkh.Resend:
			return nil, &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Err: pollErr, RetryAfter: x.cfg.ResendAfter}
		default:
			return stop(id, code, msg), nil
		}
	}
	if st.RequestState != giszhkh.StateDone {
		n, err := store.CountGISPoll(ctx, db, id, string(ex.Response))
		if err != nil {
			return nil, err
		}
		return nil, &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Message: fmt.Sprintf("message %d in state %d", id, st.RequestState), RetryAfter: x.pollAfter(n)}
	}
	return x.applyEffect(m, st, string(ex.Response)), nil
}

func errorCode(err error) string {
	var f *giszhkh.Fault
	if errors.As(err, &f) {
		return f.Code
	}
	var he *giszhkh.HTTPError
	if errors.As(err, &he) {
		return fmt.Sprintf("HTTP%d", he.Status)
	}
	return "TRANSPORT"
}

// Config returns the configuration in effect, defaults filled.
func (x *Exchange) Config() Config {
	c := x.cfg
	c.Caps = maps.Clone(c.Caps)
	c.Poll = slices.Clone(c.Poll)
	return c
}
