package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
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

// GISPollWorker polls getState (gisexchange.Exchange.Poll, which snoozes
// until GIS has processed the message) and then applies every item's
// result to the canonical store and completes — in one commit, so a crash
// mid-apply leaves nothing half-written and the next attempt applies it all.
type GISPollWorker struct {
	river.WorkerDefaults[GISPollArgs]
	Pool GISDB
	GIS  *gisexchange.Exchange
}

// Timeout overrides River's one-minute default: getState may wait up to the client timeout (180 s), and applying a large result takes a while.
func (w *GISPollWorker) Timeout(*river.Job[GISPollArgs]) time.Duration { return 5 * time.Minute }

// Work implements river.Worker.
func (w *GISPollWorker) Work(ctx context.Context, job *river.Job[GISPollArgs]) error {
	if w.GIS == nil {
		return Edge(gisNotConfigured("gis poll"))
	}
	effect, err := w.GIS.Poll(ctx, w.Pool, job.Args.MessageID)
	if err != nil {
		return Edge(err)
	}
	return gisCommit(ctx, w.Pool, job, fmt.Sprintf("gis poll %d", job.Args.MessageID), effect)
}
