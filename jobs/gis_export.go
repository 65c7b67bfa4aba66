package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

// maxDocumentsPerExport is the practical cap of one exportPaymentDocumentData:
// the schema allows 1000, but GIS keeps answers under 10 MB.
const maxDocumentsPerExport = 300

// GISOrg returns the orgPPAGUID a message of operation op needs in its
// header: "" for ISRequestHeader operations (the organization registry and
// common reference books), which exchange before an organization is known.
func GISOrg(ctx context.Context, db store.DBTX, orgID int64, service giszhkh.Service, op string) (string, error) {
	info, err := giszhkh.LookupOperation(service, op)
	if err != nil {
		return "", err
	}
	if info.Header == "ISRequestHeader" {
		return "", nil
	}
	return store.GISOrgPPAGUID(ctx, db, orgID)
}

// orgsQuery is one organization-registry export.
type orgsQuery struct {
	Criteria []giszhkh.OrgSearch `json:"criteria,omitempty"` // exportOrgRegistry
}

// houseQuery is one export by house.
type houseQuery struct {
	FIASHouseGUID string `json:"fias_house_guid"`
}

// planOrgs plans exportOrgRegistry for every organization with an OGRN,
// 100 criteria a message, and exportDataProvider to learn the orgPPAGUIDs
// GIS lists for the providers linked to our system.
func planOrgs(ctx context.Context, db store.DBTX, orgID int64) ([]GISPlan, error) {
	rows, err := store.GISOrgsToExport(ctx, db, orgID)
	if err != nil {
		return nil, err
	}
	svc := string(giszhkh.ServiceOrgRegistry)
	var plans []GISPlan
	for chunk := range slices.Chunk(rows, giszhkh.MaxOrgSearchCriteria) {
		var q orgsQuery
		for _, r := range chunk {
			q.Criteria = append(q.Criteria, giszhkh.OrgSearch{OGRN: r.OGRN, KPP: r.KPP})
		}
		b, err := json.Marshal(q)
		if err != nil {
			return nil, err
		}
		plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: orgID, Kind: GISWhatOrgs, Service: svc, Operation: giszhkh.OpExportOrgRegistry, Query: b}})
	}
	plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: orgID, Kind: GISWhatOrgs, Service: svc, Operation: giszhkh.OpExportDataProvider}})
	return plans, nil
}

// planByHouse plans one message of operation op per house.
func planByHouse(orgID int64, kind, op string, houses []string) ([]GISPlan, error) {
	plans := make([]GISPlan, 0, len(houses))
	for _, h := range houses {
		b, err := json.Marshal(houseQuery{FIASHouseGUID: h})
		if err != nil {
			return nil, err
		}
		plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: orgID, Kind: kind, Service: string(giszhkh.ServiceHouseManagement), Operation: op, Query: b}})
	}
	return plans, nil
}

// planExport plans the exports of subject what (orgs, houses and the
// reconciliations); ok is false for other subjects.
func planExport(ctx context.Context, db store.DBTX, a GISSyncArgs, period time.Time) (plans []GISPlan, ok bool, err error) {
	var houses []string
	switch a.What {
	case GISWhatOrgs:
		plans, err = planOrgs(ctx, db, a.OrgID)
		return plans, true, err
	case GISWhatHouses:
		if houses, err = store.GISOrgHouses(ctx, db, a.OrgID); err != nil {
			return nil, true, err
		}
		plans, err = planByHouse(a.OrgID, a.What, giszhkh.OpExportHouseData, houses)
		return plans, true, err
	case GISWhatAccountsExport:
		if houses, err = store.GISAccountHousesToReconcile(ctx, db, a.OrgID); err != nil {
			return nil, true, err
		}
		plans, err = planByHouse(a.OrgID, a.What, giszhkh.OpExportAccountData, houses)
		return plans, true, err
	case GISWhatMetersExport:
		if houses, err = store.GISMeterHousesToReconcile(ctx, db, a.OrgID); err != nil {
			return nil, true, err
		}
		plans, err = planByHouse(a.OrgID, a.What, giszhkh.OpExportMeteringDeviceData, houses)
		return plans, true, err
	case GISWhatDocumentsExport:
		accs, err := store.GISDocumentAccountsToReconcile(ctx, db, a.OrgID, period)
		if err != nil {
			return nil, true, err
		}
		for chunk := range slices.Chunk(accs, maxDocumentsPerExport) {
			b, err := json.Marshal(giszhkh.DocumentQuery{Year: period.Year(), Month: int(period.Month()), AccountGUIDs: chunk})
			if err != nil {
				return nil, true, err
			}
			p := period
			plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: a.OrgID, Kind: a.What, Service: string(giszhkh.ServiceBills),
				Operation: giszhkh.OpExportPaymentDocumentData, Period: &p, Query: b}})
		}
		return plans, true, nil
	}
	return nil, false, nil
}

// buildExport builds the request of an export message; ok is false for
// other kinds.
func buildExport(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage) (req *giszhkh.Request, ok bool, err error) {
	unmarshal := func(v any) error {
		if err := json.Unmarshal(m.Query, v); err != nil {
			return fmt.Errorf("gis send: message %d query: %w", m.ID, err)
		}
		return nil
	}
	var h houseQuery
	switch m.Kind {
	case GISWhatOrgs:
		if m.Operation == giszhkh.OpExportDataProvider {
			req, err = b.ExportDataProvider(ctx, true)
			return req, true, err
		}
		var q orgsQuery
		if err := unmarshal(&q); err != nil {
			return nil, true, err
		}
		req, err = b.ExportOrgRegistry(ctx, q.Criteria)
		return req, true, err
	case GISWhatHouses:
		if err := unmarshal(&h); err != nil {
			return nil, true, err
		}
		req, err = b.ExportHouse(ctx, org, h.FIASHouseGUID)
		return req, true, err
	case GISWhatAccountsExport:
		if err := unmarshal(&h); err != nil {
			return nil, true, err
		}
		req, err = b.ExportAccounts(ctx, org, giszhkh.AccountQuery{FIASHouseGUID: h.FIASHouseGUID})
		return req, true, err
	case GISWhatMetersExport:
		if err := unmarshal(&h); err != nil {
			return nil, true, err
		}
		req, err = b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: h.FIASHouseGUID})
		return req, true, err
	case GISWhatDocumentsExport:
		var q giszhkh.DocumentQuery
		if err := unmarshal(&q); err != nil {
			return nil, true, err
		}
		req, err = b.ExportPaymentDocuments(ctx, org, q)
		return req, true, err
	}
	return nil, false, nil
}

// applyExport applies the answer of an export message in tx and closes the
// message with its counts and report; ok is false for other kinds.
func applyExport(ctx context.Context, tx pgx.Tx, logger *slog.Logger, m store.GISMessage, st *giszhkh.State, response string) (ok bool, err error) {
	var (
		res          store.GISExportResult
		bad          []error
		ours, theirs string
		h            houseQuery
	)
	if m.Kind != GISWhatOrgs && m.Kind != GISWhatDocumentsExport {
		if err := json.Unmarshal(m.Query, &h); err != nil {
			return true, fmt.Errorf("gis poll %d: query: %w", m.ID, err)
		}
	}
	switch m.Kind {
	case GISWhatOrgs:
		if m.Operation == giszhkh.OpExportDataProvider {
			var ps []model.GISProvider
			ps, bad = gis.Providers(st.Providers)
			res, err = store.ApplyGISProviders(ctx, tx, ps)
			ours, theirs = "", "providers of organizations not in the store"
			break
		}
		var os []model.GISOrg
		os, bad = gis.Orgs(st.Orgs)
		res, err = store.ApplyGISOrgs(ctx, tx, os)
		ours, theirs = "organizations not found in GIS (OGRN)", "GIS organizations not in the store (OGRN/KPP)"
	case GISWhatHouses:
		house := model.GISHouse{FIASHouseGUID: h.FIASHouseGUID}
		if st.House != nil {
			house, bad = gis.House(st.House)
			house.FIASHouseGUID = h.FIASHouseGUID // the house asked for; GIS may omit it
		}
		res, err = store.ApplyGISHouse(ctx, tx, m.OrgID, house)
		ours, theirs = "premises not in GIS", "GIS premises not in the store"
	case GISWhatAccountsExport:
		var as []model.GISExportedAccount
		as, bad = gis.ExportedAccounts(st.Accounts)
		res, err = store.ApplyGISAccounts(ctx, tx, m.OrgID, h.FIASHouseGUID, as)
		ours, theirs = "accounts not in GIS", "GIS accounts not in the store"
	case GISWhatMetersExport:
		var ms []model.GISExportedMeter
		ms, bad = gis.ExportedMeters(st.Meters)
		res, err = store.ApplyGISMeters(ctx, tx, m.OrgID, h.FIASHouseGUID, ms)
		ours, theirs = "meters not in GIS", "GIS meters not in the store"
	case GISWhatDocumentsExport:
		var q giszhkh.DocumentQuery
		if err := json.Unmarshal(m.Query, &q); err != nil {
			return true, fmt.Errorf("gis poll %d: query: %w", m.ID, err)
		}
		var ds []model.GISExportedDocument
		ds, bad = gis.ExportedDocuments(st.Documents)
		res, err = store.ApplyGISDocuments(ctx, tx, m.OrgID, time.Date(q.Year, time.Month(q.Month), 1, 0, 0, 0, 0, time.UTC), q.AccountGUIDs, ds)
		ours, theirs = "documents not in GIS", "GIS documents not in the store"
	default:
		return false, nil
	}
	if err != nil {
		return true, err
	}
	report := res.Report(ours, theirs)
	if len(bad) > 0 {
		if report != "" {
			report += "; "
		}
		report += fmt.Sprintf("%d objects GIS sent cannot be stored (first: %v)", len(bad), bad[0])
		res.Unknown += len(bad)
	}
	if logger != nil && report != "" {
		logger.WarnContext(ctx, "gis export did not match everything", "message", m.ID, "kind", m.Kind, "report", report)
	}
	return true, store.FinishGISExportReport(ctx, tx, m.ID, response, res, report)
}
