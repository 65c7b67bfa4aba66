package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

// KindGISPoll is the kind of GISPollArgs.
const KindGISPoll = "gis_poll"

// GISPollArgs asks for the state of a sent GIS message.
type GISPollArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind implements river.JobArgs.
func (GISPollArgs) Kind() string { return KindGISPoll }

// InsertOpts: GIS queue, one poller per message. Polls snooze between
// attempts, following the official schedule.
func (GISPollArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueGIS, MaxAttempts: 50, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: gisUniqueStates}}
}

// GISPollWorker polls getState and, once GIS has processed the message,
// applies every item's result to the canonical store and completes — in one
// commit, so a crash mid-apply leaves nothing half-written and the next
// attempt applies it all (ApplyGISResults skips settled items).
type GISPollWorker struct {
	river.WorkerDefaults[GISPollArgs]
	Pool   *pgxpool.Pool
	GIS    *GIS
	Logger *slog.Logger
}

// Timeout overrides River's one-minute default: getState may wait up to the client timeout (180 s), and applying a large result takes a while.
func (w *GISPollWorker) Timeout(*river.Job[GISPollArgs]) time.Duration { return 5 * time.Minute }

// Work implements river.Worker.
func (w *GISPollWorker) Work(ctx context.Context, job *river.Job[GISPollArgs]) error {
	return Edge(w.work(ctx, job))
}

func (w *GISPollWorker) work(ctx context.Context, job *river.Job[GISPollArgs]) error {
	g := w.GIS
	if g == nil {
		return apperr.E(apperr.Invalid, "gis poll", "GIS ZhKH is not configured")
	}
	id := job.Args.MessageID
	m, _, err := store.GetGISMessage(ctx, w.Pool, id)
	if err != nil {
		return err
	}
	if m.State != store.GISSent || m.AckGUID == nil {
		return completeAlone(ctx, w.Pool, job) // settled, or sent again by a new send job
	}
	if m.SentAt != nil && m.Polls == 0 {
		// GIS asks for the first getState no earlier than the schedule's first delay.
		if wait := m.SentAt.Add(g.pollAfter(0)).Sub(g.now()); wait > 0 {
			return &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Message: "first poll not due yet", RetryAfter: wait}
		}
	}
	org, err := GISOrg(ctx, w.Pool, m.OrgID, giszhkh.Service(m.Service), giszhkh.OpGetState)
	if err != nil {
		return err
	}
	req, err := g.Builder.GetState(giszhkh.Service(m.Service), org, *m.AckGUID)
	if err != nil {
		return err
	}
	exID, err := store.StartExchange(ctx, w.Pool, store.Exchange{System: "gis", Operation: "getState", OrgID: &m.OrgID,
		MessageGUID: &req.MessageGUID, Request: string(req.Envelope)})
	if err != nil {
		return err
	}
	st, ex, pollErr := g.Client.GetState(ctx, req)
	fin := store.Exchange{Outcome: "ok", Response: string(ex.Response), AckGUID: m.AckGUID}
	if ex.HTTPStatus != 0 {
		fin.HTTPStatus = &ex.HTTPStatus
	}
	if pollErr != nil {
		fin.Outcome, fin.Error = "error", pollErr.Error()
	}
	if err := store.FinishExchange(context.WithoutCancel(ctx), w.Pool, exID, fin); err != nil {
		return err
	}
	if pollErr != nil {
		switch giszhkh.Classify(pollErr) {
		case giszhkh.Lost:
			// GIS does not know the message: send it again.
			return w.resend(ctx, job, m, errorCode(pollErr), pollErr.Error())
		case giszhkh.Resend:
			return &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Err: pollErr, RetryAfter: g.resendAfter()}
		default:
			return w.settle(ctx, job, func(tx pgx.Tx) error { return store.MarkGISStopped(ctx, tx, id, errorCode(pollErr), pollErr.Error()) })
		}
	}
	if st.RequestState != giszhkh.StateDone {
		n, err := store.CountGISPoll(ctx, w.Pool, id, string(ex.Response))
		if err != nil {
			return err
		}
		return &apperr.Error{Kind: apperr.NotReady, Op: "gis poll", Message: fmt.Sprintf("message %d in state %d", id, st.RequestState), RetryAfter: g.pollAfter(n)}
	}
	response := string(ex.Response)
	return w.settle(ctx, job, func(tx pgx.Tx) error {
		switch {
		case st.Error != nil && !st.Empty():
			if w.Logger != nil {
				w.Logger.ErrorContext(ctx, "gis message rejected whole", "message", id, "code", st.Error.Code, "error", st.Error.Description)
			}
			return store.MarkGISStopped(ctx, tx, id, st.Error.Code, st.Error.Description)
		case m.Kind == GISWhatNsi:
			var q nsiQuery
			if err := json.Unmarshal(m.Query, &q); err != nil {
				return fmt.Errorf("gis poll %d: query: %w", id, err)
			}
			var owner *int64
			if q.Provider {
				owner = &m.OrgID
			}
			els := make([]store.GISNsiElement, 0, len(st.NsiElements))
			for _, e := range st.NsiElements {
				els = append(els, store.GISNsiElement{Code: e.Code, GUID: e.GUID, Name: e.Name, Actual: e.Actual})
			}
			n, err := store.SaveGISNsi(ctx, tx, owner, q.Registry, els)
			if err != nil {
				return err
			}
			if q.Page > 0 && q.Page < st.NsiPages {
				q.Page++
				if err := chainExport(ctx, tx, m, q); err != nil {
					return err
				}
			}
			return store.FinishGISExport(ctx, tx, id, response, n)
		case m.Kind == GISWhatReadings:
			readings, bad := gis.Readings(st.Readings)
			for _, e := range bad {
				if w.Logger != nil {
					w.Logger.WarnContext(ctx, "gis reading skipped", "message", id, "error", e)
				}
			}
			saved, flagged, future, err := store.SaveGISReadings(ctx, tx, m.OrgID, readings)
			if err != nil {
				return err
			}
			if st.NextBlock != "" {
				if err := nextBlock(ctx, tx, m, st.NextBlock); err != nil {
					return err
				}
			}
			res := store.GISExportResult{Received: len(st.Readings), Matched: saved, Missing: len(bad) + future}
			return store.FinishGISExportReport(ctx, tx, id, response, res, readingsReport(res, flagged, future, bad, st.SkippedReadings))
		default:
			if ok, err := applyExport(ctx, tx, w.Logger, m, st, response); ok {
				return err
			}
			return store.ApplyGISResults(ctx, tx, id, response, gis.Results(st.Results))
		}
	})
}

// settle runs apply and completes the job in one transaction.
func (w *GISPollWorker) settle(ctx context.Context, job *river.Job[GISPollArgs], apply func(pgx.Tx) error) error {
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("gis poll %d: %w", job.Args.MessageID, err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := apply(tx); err != nil {
		return err
	}
	return completeTx(ctx, tx, job)
}

// nextBlock queues the export of the next block of devices as a new message.
func nextBlock(ctx context.Context, tx pgx.Tx, m store.GISMessage, from string) error {
	var q giszhkh.HistoryQuery
	if err := json.Unmarshal(m.Query, &q); err != nil {
		return fmt.Errorf("gis poll %d: query: %w", m.ID, err)
	}
	q.NextBlock = from
	return chainExport(ctx, tx, m, q)
}

// chainExport queues the rest of an export that GIS answers in parts (the
// next block of devices, the next page of a book) as a new message like m
// asking query, in the transaction that applies this part.
func chainExport(ctx context.Context, tx pgx.Tx, m store.GISMessage, query any) error {
	b, err := json.Marshal(query)
	if err != nil {
		return fmt.Errorf("gis poll %d: next query: %w", m.ID, err)
	}
	id, err := store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: m.OrgID, Kind: m.Kind, Service: m.Service, Operation: m.Operation,
		Period: m.Period, Query: b}, nil)
	if err != nil {
		return err
	}
	_, err = river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx, GISSendArgs{MessageID: id}, nil)
	return err
}

// resend puts the message back to prepared and enqueues a new send.
func (w *GISPollWorker) resend(ctx context.Context, job *river.Job[GISPollArgs], m store.GISMessage, code, msg string) error {
	return w.settle(ctx, job, func(tx pgx.Tx) error {
		if err := store.MarkGISRetry(ctx, tx, m.ID, code, msg); err != nil {
			return err
		}
		_, err := river.ClientFromContext[pgx.Tx](ctx).InsertTx(ctx, tx, GISSendArgs{MessageID: m.ID}, nil)
		return err
	})
}

// readingsReport says what a history export brought and what it left out,
// so an operator sees skipped entries instead of silence.
func readingsReport(r store.GISExportResult, flagged, future int, bad []error, skipped []giszhkh.SkippedReading) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d readings received: %d new", r.Received, r.Matched)
	if flagged > 0 {
		fmt.Fprintf(&b, ", %d of them flagged (they contradict the meter's history)", flagged)
	}
	if future > 0 {
		fmt.Fprintf(&b, "; %d dated after today not taken", future)
	}
	if len(bad) > 0 {
		fmt.Fprintf(&b, "; %d not valid (first: %v)", len(bad), bad[0])
	}
	if len(skipped) > 0 {
		fmt.Fprintf(&b, "; %d devices' entries skipped (first: %s: %s)", len(skipped), skipped[0].RootGUID, skipped[0].Reason)
	}
	return b.String()
}
