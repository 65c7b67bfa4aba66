package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
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

// GISSendWorker sends one message (gisexchange.Exchange.Send): the envelope
// is committed before the HTTP call; the Ack, the poll job and the job's
// completion are committed together after it.
type GISSendWorker struct {
	river.WorkerDefaults[GISSendArgs]
	Pool GISDB
	GIS  *gisexchange.Exchange
}

// Timeout overrides River's one-minute default: a send may wait up to the client timeout (180 s) for GIS.
func (w *GISSendWorker) Timeout(*river.Job[GISSendArgs]) time.Duration { return 5 * time.Minute }

// Work implements river.Worker.
func (w *GISSendWorker) Work(ctx context.Context, job *river.Job[GISSendArgs]) error {
	if w.GIS == nil {
		return Edge(gisNotConfigured("gis send"))
	}
	effect, err := w.GIS.Send(ctx, w.Pool, job.Args.MessageID)
	if err != nil {
		return Edge(err)
	}
	return gisCommit(ctx, w.Pool, job, fmt.Sprintf("gis send %d", job.Args.MessageID), effect)
}
