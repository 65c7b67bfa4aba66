package gisexchange

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

// applier applies the answer of an export message in a.tx and closes the
// message; a part of a longer answer chains the next message (a.chain).
type applier func(ctx context.Context, a *applying) error

// applying is one processed answer being applied.
type applying struct {
	x        *Exchange
	tx       pgx.Tx
	m        store.GISMessage
	st       *giszhkh.State
	response string
	follow   Follow
}

// applyEffect applies a processed message's answer: a whole-message error
// stops it; an export's answer goes to its subject's applier; an item
// subject's per-item results to the store.
func (x *Exchange) applyEffect(m store.GISMessage, st *giszhkh.State, response string) Effect {
	return func(ctx context.Context, tx pgx.Tx) (Follow, error) {
		if st.Error != nil && !st.Empty() {
			x.deps.Logger.ErrorContext(ctx, "gis message rejected whole", "message", m.ID, "code", st.Error.Code, "error", st.Error.Description)
			return Follow{}, store.MarkGISStopped(ctx, tx, m.ID, st.Error.Code, st.Error.Description)
		}
		s, ok := Lookup(What(m.Kind))
		if !ok {
			return Follow{}, fmt.Errorf("gis poll %d: unknown kind %q", m.ID, m.Kind)
		}
		if s.apply == nil {
			if err := store.ApplyGISResults(ctx, tx, m.ID, response, gis.Results(st.Results)); err != nil {
				return Follow{}, err
			}
			var f Follow
			return f, holdAndRelease(ctx, tx, m, &f)
		}
		a := &applying{x: x, tx: tx, m: m, st: st, response: response}
		if err := s.apply(ctx, a); err != nil {
			return Follow{}, err
		}
		return a.follow, nil
	}
}

// chain queues the rest of an export that GIS answers in parts (the next
// block of devices, the next page of a book) as a new message like a.m
// asking query, in the transaction that applies this part.
func (a *applying) chain(ctx context.Context, query any) error {
	b, err := json.Marshal(query)
	if err != nil {
		return fmt.Errorf("gis poll %d: next query: %w", a.m.ID, err)
	}
	m := a.m
	id, err := store.CreateGISMessage(ctx, a.tx, store.GISMessage{OrgID: m.OrgID, Kind: m.Kind, Service: m.Service, Operation: m.Operation,
		Period: m.Period, Query: b}, nil)
	if err != nil {
		return err
	}
	a.follow.Send = append(a.follow.Send, id)
	return nil
}

func applyNsi(ctx context.Context, a *applying) error {
	q, err := decodeQuery[nsiQuery](a.m)
	if err != nil {
		return err
	}
	var owner *int64
	if q.Provider {
		owner = &a.m.OrgID
	}
	els := make([]store.GISNsiElement, 0, len(a.st.NsiElements))
	for _, e := range a.st.NsiElements {
		els = append(els, store.GISNsiElement{Code: e.Code, GUID: e.GUID, Name: e.Name, Actual: e.Actual})
	}
	n, err := store.SaveGISNsi(ctx, a.tx, owner, q.Registry, els)
	if err != nil {
		return err
	}
	if q.Page > 0 && q.Page < a.st.NsiPages {
		q.Page++
		if err := a.chain(ctx, q); err != nil {
			return err
		}
	}
	return store.FinishGISExport(ctx, a.tx, a.m.ID, a.response, n)
}

func applyReadings(ctx context.Context, a *applying) error {
	readings, bad := gis.Readings(a.st.Readings)
	for _, e := range bad {
		a.x.deps.Logger.WarnContext(ctx, "gis reading skipped", "message", a.m.ID, "error", e)
	}
	saved, flagged, future, err := store.SaveGISReadings(ctx, a.tx, a.m.OrgID, readings)
	if err != nil {
		return err
	}
	if a.st.NextBlock != "" {
		q, err := decodeQuery[giszhkh.HistoryQuery](a.m)
		if err != nil {
			return err
		}
		q.NextBlock = a.st.NextBlock
		if err := a.chain(ctx, q); err != nil {
			return err
		}
	}
	res := store.GISExportResult{Received: len(a.st.Readings), Matched: saved, Missing: len(bad) + future}
	return store.FinishGISExportReport(ctx, a.tx, a.m.ID, a.response, res, readingsReport(res, flagged, future, bad, a.st.SkippedReadings))
}

// matched is what an export's store function matched, with the labels of
// its report.
type matched struct {
	res          store.GISExportResult
	bad          []error
	ours, theirs string
}

// report closes an export message with its counts and report.
func (a *applying) report(ctx context.Context, r matched, err error) error {
	if err != nil {
		return err
	}
	res := r.res
	report := res.Report(r.ours, r.theirs)
	if len(r.bad) > 0 {
		if report != "" {
			report += "; "
		}
		report += fmt.Sprintf("%d objects GIS sent cannot be stored (first: %v)", len(r.bad), r.bad[0])
		res.Unknown += len(r.bad)
	}
	if report != "" {
		a.x.deps.Logger.WarnContext(ctx, "gis export did not match everything", "message", a.m.ID, "kind", a.m.Kind, "report", report)
	}
	return store.FinishGISExportReport(ctx, a.tx, a.m.ID, a.response, res, report)
}

func applyOrgs(ctx context.Context, a *applying) error {
	var r matched
	var err error
	if a.m.Operation == giszhkh.OpExportDataProvider {
		var ps []model.GISProvider
		ps, r.bad = gis.Providers(a.st.Providers)
		r.res, err = store.ApplyGISProviders(ctx, a.tx, ps)
		r.theirs = "providers of organizations not in the store"
		return a.report(ctx, r, err)
	}
	var os []model.GISOrg
	os, r.bad = gis.Orgs(a.st.Orgs)
	r.res, err = store.ApplyGISOrgs(ctx, a.tx, os)
	r.ours, r.theirs = "organizations not found in GIS (OGRN)", "GIS organizations not in the store (OGRN/KPP)"
	return a.report(ctx, r, err)
}

func applyHouses(ctx context.Context, a *applying) error {
	h, err := decodeQuery[houseQuery](a.m)
	if err != nil {
		return err
	}
	r := matched{ours: "premises not in GIS", theirs: "GIS premises not in the store"}
	house := model.GISHouse{FIASHouseGUID: h.FIASHouseGUID}
	if a.st.House != nil {
		house, r.bad = gis.House(a.st.House)
		house.FIASHouseGUID = h.FIASHouseGUID // the house asked for; GIS may omit it
	}
	r.res, err = store.ApplyGISHouse(ctx, a.tx, a.m.OrgID, house)
	if err == nil {
		err = releaseWaiting(ctx, a.tx, a.m.OrgID, &a.follow)
	}
	return a.report(ctx, r, err)
}

func applyAccountsExport(ctx context.Context, a *applying) error {
	h, err := decodeQuery[houseQuery](a.m)
	if err != nil {
		return err
	}
	r := matched{ours: "accounts not in GIS", theirs: "GIS accounts not in the store"}
	var as []model.GISExportedAccount
	as, r.bad = gis.ExportedAccounts(a.st.Accounts)
	r.res, err = store.ApplyGISAccounts(ctx, a.tx, a.m.OrgID, h.FIASHouseGUID, as)
	if err == nil {
		err = releaseWaiting(ctx, a.tx, a.m.OrgID, &a.follow)
	}
	return a.report(ctx, r, err)
}

func applyMetersExport(ctx context.Context, a *applying) error {
	h, err := decodeQuery[houseQuery](a.m)
	if err != nil {
		return err
	}
	r := matched{ours: "meters not in GIS", theirs: "GIS meters not in the store"}
	var ms []model.GISExportedMeter
	ms, r.bad = gis.ExportedMeters(a.st.Meters)
	r.res, err = store.ApplyGISMeters(ctx, a.tx, a.m.OrgID, h.FIASHouseGUID, ms)
	return a.report(ctx, r, err)
}

func applyDocumentsExport(ctx context.Context, a *applying) error {
	q, err := decodeQuery[giszhkh.DocumentQuery](a.m)
	if err != nil {
		return err
	}
	r := matched{ours: "documents not in GIS", theirs: "GIS documents not in the store"}
	var ds []model.GISExportedDocument
	ds, r.bad = gis.ExportedDocuments(a.st.Documents)
	period := time.Date(q.Year, time.Month(q.Month), 1, 0, 0, 0, 0, time.UTC)
	r.res, err = store.ApplyGISDocuments(ctx, a.tx, a.m.OrgID, period, q.AccountGUIDs, ds)
	return a.report(ctx, r, err)
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
