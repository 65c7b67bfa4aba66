package gisexchange

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// sendingSubject indexes the registry by the kind of object each subject
// sends. It is derived in init, not written as a second table: the
// registry's appliers reach Scopes, so an initializer would be a cycle.
var sendingSubject map[string]What

func init() {
	sendingSubject = map[string]What{}
	for _, s := range subjects {
		if s.Object != "" {
			sendingSubject[s.Object] = s.What
		}
	}
}

// subjectSending is the subject of the registry that sends objects of kind.
func subjectSending(kind string) (What, bool) {
	w, ok := sendingSubject[kind]
	return w, ok
}

// Scopes turns work the store found (objects of a kind, by organization
// and month) into the syncs that send it.
func Scopes(work []store.GISWork) ([]Scope, error) {
	var out []Scope
	for _, w := range work {
		what, ok := subjectSending(w.ObjectKind)
		if !ok {
			return nil, fmt.Errorf("gis: no subject sends %q objects", w.ObjectKind)
		}
		sc := Scope{OrgID: w.OrgID, What: what}
		if w.Period != nil {
			sc.Period = w.Period.Format("2006-01")
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// holdAndRelease runs after per-item results are applied: items refused for
// a missing prerequisite wait for it, and items waiting for a prerequisite
// that has now reached GIS (an account this message placed) are released,
// their syncs queued in f.
func holdAndRelease(ctx context.Context, tx pgx.Tx, m store.GISMessage, f *Follow) error {
	codes, kinds, waits := PrerequisiteCodes()
	if _, err := store.HoldGISForPrerequisites(ctx, tx, m.ID, codes, kinds, waits); err != nil {
		return err
	}
	return releaseWaiting(ctx, tx, m.OrgID, f)
}

// releaseWaiting releases orgID's items whose prerequisite reached GIS and
// queues their syncs in f.
func releaseWaiting(ctx context.Context, tx pgx.Tx, orgID int64, f *Follow) error {
	work, err := store.ReleaseGISWaiting(ctx, tx, orgID)
	if err != nil {
		return err
	}
	scopes, err := Scopes(work)
	if err != nil {
		return err
	}
	for _, sc := range scopes {
		if !slices.Contains(f.Sync, sc) {
			f.Sync = append(f.Sync, sc)
		}
	}
	return nil
}
