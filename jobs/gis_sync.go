package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
)

// KindGISSync is the kind of GISSyncArgs.
const KindGISSync = "gis_sync"

// GISWhatPayments is the subject registry intake queues after posting a
// registry (gisexchange.Payments).
const GISWhatPayments = gisexchange.Payments

// GISSyncArgs asks for one subject of an organization to be exchanged with
// GIS ZhKH: the sync chooses what is due, stores it as messages with their
// TransportGUIDs, and enqueues one send job per message.
type GISSyncArgs struct {
	OrgID  int64            `json:"org_id"`
	What   gisexchange.What `json:"what"`
	Period string           `json:"period"` // "2026-10"; the subjects with Period use it
}

// Kind implements river.JobArgs.
func (GISSyncArgs) Kind() string { return KindGISSync }

// InsertOpts puts syncs on the GIS queue, one per subject at a time.
func (GISSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueGIS, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: gisUniqueStates}}
}

// GISSyncWorker prepares messages.
type GISSyncWorker struct {
	river.WorkerDefaults[GISSyncArgs]
	Pool GISDB
	GIS  *gisexchange.Exchange
}

// Timeout overrides River's one-minute default: planning 100 000 accounts maps and stores every item.
func (w *GISSyncWorker) Timeout(*river.Job[GISSyncArgs]) time.Duration { return 15 * time.Minute }

// Work implements river.Worker: plan and store the messages, enqueue their
// sends and complete, in one commit.
func (w *GISSyncWorker) Work(ctx context.Context, job *river.Job[GISSyncArgs]) error {
	if w.GIS == nil {
		return Edge(gisNotConfigured("gis sync"))
	}
	a := job.Args
	return gisCommitAgain(ctx, w.Pool, job, fmt.Sprintf("gis sync %s of organization %d", a.What, a.OrgID),
		func(ctx context.Context, tx pgx.Tx) (gisexchange.Follow, error) {
			return w.GIS.Sync(ctx, tx, gisexchange.Scope{OrgID: a.OrgID, What: a.What, Period: a.Period})
		}, a)
}
