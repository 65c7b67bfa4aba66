package jobs

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
)

// KindGISSweep is the kind of GISSweepArgs.
const KindGISSweep = "gis_sweep"

// gisSweepEvery is how often the sweep looks for work no sync carries.
const gisSweepEvery = 15 * time.Minute

// GISSweepArgs asks for a sync of every organization and subject with
// work waiting that no sync carries (periodic; a safety net behind the
// syncs queued by registry intake and by operators).
type GISSweepArgs struct{}

// Kind implements river.JobArgs.
func (GISSweepArgs) Kind() string { return KindGISSweep }

// InsertOpts puts the sweep on the GIS queue.
func (GISSweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueGIS, MaxAttempts: 3}
}

// GISSweepWorker queues the syncs gisexchange.Due lists; a sync already
// waiting absorbs the new one (unique by its arguments).
type GISSweepWorker struct {
	river.WorkerDefaults[GISSweepArgs]
	Pool GISDB
	GIS  *gisexchange.Exchange
}

// Work implements river.Worker. Without GIS configured there is nothing to sweep.
func (w *GISSweepWorker) Work(ctx context.Context, job *river.Job[GISSweepArgs]) error {
	return gisCommit(ctx, w.Pool, job, "gis sweep", func(ctx context.Context, tx pgx.Tx) (gisexchange.Follow, error) {
		if w.GIS == nil {
			return gisexchange.Follow{}, nil
		}
		due, err := gisexchange.Due(ctx, tx)
		return gisexchange.Follow{Sync: due}, err
	})
}
