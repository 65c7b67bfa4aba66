package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// KindGISSend is the kind of GISSendArgs.
const KindGISSend = "gis_send"

// GISSendArgs asks for a prepared GIS message to be signed and sent.
type GISSendArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind implements river.JobArgs.
func (GISSendArgs) Kind() string { return KindGISSend }

// InsertOpts: GIS queue, one job per message; many attempts because GIS is
// often down for a while.
func (GISSendArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueGIS, MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: gisUniqueStates}}
}

// GISSendWorker sends one message. The envelope and our MessageGUID are
// committed before the HTTP call; the Ack, the poll job and the job's
// completion are committed together after it. A crash in between leaves the
// message 'sending' with its envelope, and the next attempt sends that same
// envelope again — same MessageGUID, which GIS answers with the same Ack —
// instead of a new message that could place everything twice.
type GISSendWorker struct {
	river.WorkerDefaults[GISSendArgs]
	Pool   *pgxpool.Pool
	GIS    *GIS
	Logger *slog.Logger
}

// Timeout overrides River's one-minute default: a send may wait up to the client timeout (180 s) for GIS.
func (w *GISSendWorker) Timeout(*river.Job[GISSendArgs]) time.Duration { return 5 * time.Minute }

// Work implements river.Worker.
func (w *GISSendWorker) Work(ctx context.Context, job *river.Job[GISSendArgs]) error {
	return Edge(w.work(ctx, job))
}

func (w *GISSendWorker) work(ctx context.Context, job *river.Job[GISSendArgs]) error {
	g := w.GIS
	if g == nil {
		return apperr.E(apperr.Invalid, "gis send", "GIS ZhKH is not configured")
	}
	id := job.Args.MessageID
	m, items, err := store.GetGISMessage(ctx, w.Pool, id)
	if err != nil {
		return err
	}
	switch m.State {
	case store.GISDone, store.GISStopped:
		return completeAlone(ctx, w.Pool, job)
	case store.GISSent:
		return w.sent(ctx, job, m, "", "")
	}
	org, err := GISOrg(ctx, w.Pool, m.OrgID, giszhkh.Service(m.Service), m.Operation)
	if err != nil {
		return err
	}
	var req *giszhkh.Request
	if m.State == store.GISSending && m.MessageGUID != nil && m.Request != "" {
		info, err := giszhkh.LookupOperation(giszhkh.Service(m.Service), m.Operation)
		if err != nil {
			return err
		}
		req = &giszhkh.Request{Operation: info, MessageGUID: *m.MessageGUID, Envelope: []byte(m.Request)}
	} else {
		req, err = BuildGISRequest(ctx, g, org, m, items)
		if err != nil {
			if apperr.KindOf(err) == apperr.Invalid {
				return w.stop(ctx, job, id, "BUILD", err.Error())
			}
			return err
		}
		if err := store.MarkGISSending(ctx, w.Pool, id, req.MessageGUID, string(req.Envelope)); err != nil {
			return err
		}
	}
	exID, err := store.StartExchange(ctx, w.Pool, store.Exchange{System: "gis", Operation: m.Operation, OrgID: &m.OrgID,
		MessageGUID: &req.MessageGUID, Request: string(req.Envelope)})
	if err != nil {
		return err
	}
	ack, ex, sendErr := g.Client.Send(ctx, req)
	fin := store.Exchange{Outcome: "ok", Response: string(ex.Response)}
	if ex.HTTPStatus != 0 {
		fin.HTTPStatus = &ex.HTTPStatus
	}
	if sendErr != nil {
		fin.Outcome, fin.Error = "error", sendErr.Error()
	} else {
		fin.AckGUID = &ack.MessageGUID
	}
	if err := store.FinishExchange(context.WithoutCancel(ctx), w.Pool, exID, fin); err != nil {
		return err
	}
	if sendErr != nil {
		return w.failed(ctx, job, m, sendErr)
	}
	return w.sent(ctx, job, m, ack.MessageGUID, string(ex.Response))
}

// sent stores the Ack, schedules the first poll and completes, in one commit.
func (w *GISSendWorker) sent(ctx context.Context, job *river.Job[GISSendArgs], m store.GISMessage, ack, response string) error {
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("gis send %d: %w", m.ID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if ack != "" {
		if err := store.MarkGISSent(ctx, tx, m.ID, ack, response); err != nil {
			return err
		}
	}
	// A scheduled job waits for River's scheduler (every few seconds); a
	// short first delay is better served by the poller snoozing itself.
	var opts *river.InsertOpts
	if first := w.GIS.pollAfter(0); first >= 5*time.Second {
		opts = &river.InsertOpts{ScheduledAt: w.GIS.now().Add(first)}
	}
	if _, err := river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx, GISPollArgs{MessageID: m.ID}, opts); err != nil {
		return fmt.Errorf("gis send %d: enqueue poll: %w", m.ID, err)
	}
	return completeTx(ctx, tx, job)
}

// failed applies the error policy to a failed send.
func (w *GISSendWorker) failed(ctx context.Context, job *river.Job[GISSendArgs], m store.GISMessage, err error) error {
	code, msg := errorCode(err), err.Error()
	switch giszhkh.Classify(err) {
	case giszhkh.Resend:
		if ambiguous(err) {
			// GIS may have accepted it: keep the envelope and send the
			// same message again after the backoff.
			return &apperr.Error{Kind: apperr.NotReady, Op: "gis send", Err: err, RetryAfter: w.GIS.resendAfter()}
		}
		if err := store.MarkGISRetry(ctx, w.Pool, m.ID, code, msg); err != nil {
			return err
		}
		return &apperr.Error{Kind: apperr.NotReady, Op: "gis send", Err: err, RetryAfter: w.GIS.resendAfter()}
	default:
		if w.Logger != nil {
			w.Logger.ErrorContext(ctx, "gis message stopped: operator attention needed", "message", m.ID, "operation", m.Operation, "code", code, "error", msg)
		}
		return w.stop(ctx, job, m.ID, code, msg)
	}
}

func (w *GISSendWorker) stop(ctx context.Context, job *river.Job[GISSendArgs], id int64, code, msg string) error {
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("gis send %d: %w", id, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := store.MarkGISStopped(ctx, tx, id, code, msg); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// ambiguous reports failures after which GIS may or may not have the
// message: timeouts and broken connections, as opposed to an explicit
// refusal (EXP001000, HTTP 502/503).
func ambiguous(err error) bool {
	var f *giszhkh.Fault
	var he *giszhkh.HTTPError
	if errors.As(err, &f) || errors.As(err, &he) {
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "EOF") ||
		strings.Contains(err.Error(), "connection reset")
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

func (g *GIS) resendAfter() time.Duration {
	if g.ResendAfter > 0 {
		return g.ResendAfter
	}
	return 2 * time.Minute
}

func completeTx[T river.JobArgs](ctx context.Context, tx pgx.Tx, job *river.Job[T]) error {
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("%s %d: complete job: %w", job.Kind, job.ID, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("%s %d: commit: %w", job.Kind, job.ID, err)
	}
	return nil
}

func completeAlone[T river.JobArgs](ctx context.Context, pool *pgxpool.Pool, job *river.Job[T]) error {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("%s %d: %w", job.Kind, job.ID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return completeTx(ctx, tx, job)
}
