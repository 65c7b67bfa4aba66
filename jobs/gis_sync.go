package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

// KindGISSync is the kind of GISSyncArgs.
const KindGISSync = "gis_sync"

// GISSyncArgs asks for one subject of an organization to be exchanged with
// GIS ZhKH: the sync chooses what is due, stores it as messages with their
// TransportGUIDs, and enqueues one send job per message.
type GISSyncArgs struct {
	OrgID  int64  `json:"org_id"`
	What   string `json:"what"`   // one of GISWhats
	Period string `json:"period"` // "2026-10"; documents, payments, readings and documents-export use it
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
	Pool *pgxpool.Pool
	GIS  *GIS
}

// Timeout overrides River's one-minute default: planning 100 000 accounts maps and stores every item.
func (w *GISSyncWorker) Timeout(*river.Job[GISSyncArgs]) time.Duration { return 15 * time.Minute }

// Work implements river.Worker.
func (w *GISSyncWorker) Work(ctx context.Context, job *river.Job[GISSyncArgs]) error {
	return Edge(w.work(ctx, job))
}

func (w *GISSyncWorker) work(ctx context.Context, job *river.Job[GISSyncArgs]) error {
	if w.GIS == nil {
		return apperr.E(apperr.Invalid, "gis sync", "GIS ZhKH is not configured (ZHKHGATE_GIS_URL and the signing key)")
	}
	tx, err := w.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("gis sync: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	plans, err := PlanGIS(ctx, tx, w.GIS, job.Args)
	if err != nil {
		return err
	}
	client := river.ClientFromContext[pgx.Tx](ctx)
	for _, p := range plans {
		id, err := store.CreateGISMessage(ctx, tx, p.Message, p.Items)
		if err != nil {
			return err
		}
		if p.Message.State == store.GISStopped {
			continue
		}
		if _, err := client.InsertTx(ctx, tx, GISSendArgs{MessageID: id}, nil); err != nil {
			return fmt.Errorf("gis sync: enqueue send: %w", err)
		}
	}
	if _, err := river.JobCompleteTx[*riverpgxv5.Driver](ctx, tx, job); err != nil {
		return fmt.Errorf("gis sync: complete job: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("gis sync: commit: %w", err)
	}
	return nil
}

// GISPlan is one message a sync would create.
type GISPlan struct {
	Message store.GISMessage
	Items   []store.GISItem
}

// documentsQuery is the message-level part of a payment document posting.
type documentsQuery struct {
	Year, Month int
	Bank        giszhkh.BankDetails
	Provider    string
}

// ParsePeriod reads "2026-10" as the first day of that month.
func ParsePeriod(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return time.Time{}, apperr.Invalidf("gis sync", "period %q: want YYYY-MM, e.g. 2026-10", s)
	}
	return t, nil
}

// PlanGIS chooses what a sync sends and maps it into messages (chunked to
// the caps) with fresh TransportGUIDs. Objects the mapping refuses go into
// one stopped message whose failed items carry the field errors, so an
// operator sees them among the unconfirmed items. It writes nothing.
func PlanGIS(ctx context.Context, db store.DBTX, g *GIS, a GISSyncArgs) ([]GISPlan, error) {
	if !slices.Contains(GISWhats, a.What) {
		return nil, apperr.Invalidf("gis sync", "what %q: want one of %v", a.What, GISWhats)
	}
	var period time.Time
	var err error
	needPeriod := a.What == GISWhatDocuments || a.What == GISWhatPayments || a.What == GISWhatReadings || a.What == GISWhatDocumentsExport
	if needPeriod || a.Period != "" {
		if period, err = ParsePeriod(a.Period); err != nil {
			return nil, err
		}
	}
	if a.What == GISWhatOrgs {
		// The organization registry is asked before an organization's
		// orgPPAGUID is known: it is what the export finds.
		plans, _, err := planExport(ctx, db, a, period)
		return plans, err
	}
	org, err := store.GISOrgPPAGUID(ctx, db, a.OrgID)
	if err != nil {
		return nil, err
	}
	if plans, ok, err := planExport(ctx, db, a, period); ok {
		return plans, err
	}
	caps := g.caps()
	nsi, err := store.GISNsiGUIDs(ctx, db, a.OrgID)
	if err != nil {
		return nil, err
	}
	const all = 10_000_000
	var (
		kind, service, op string
		capN              int
		items             []store.GISItem
		failed            []store.GISItem
		query             []byte
	)
	// Each object gets its TransportGUID here, before the mapping puts it
	// into the item; it is stored with the item before anything is sent.
	add := func(tg, obj string, id int64, v any, merr error) error {
		if merr != nil {
			failed = append(failed, store.GISItem{TransportGUID: tg, ObjectKind: obj, ObjectID: id, State: "failed", Error: merr.Error()})
			return nil
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("gis sync: encode %s %d: %w", obj, id, err)
		}
		items = append(items, store.GISItem{TransportGUID: tg, ObjectKind: obj, ObjectID: id, Payload: b})
		return nil
	}
	switch a.What {
	case GISWhatAccounts:
		kind, service, op, capN = "accounts", string(giszhkh.ServiceHouseManagement), giszhkh.OpImportAccountData, caps.Accounts
		rows, err := store.GISAccountsToSend(ctx, db, a.OrgID, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item, merr := gis.Account(r, tg)
			if err := add(tg, "account", r.ID, &item, merr); err != nil {
				return nil, err
			}
		}
	case GISWhatMeters:
		kind, service, op, capN = "meters", string(giszhkh.ServiceHouseManagement), giszhkh.OpImportMeteringDeviceData, caps.Meters
		rows, err := store.GISMetersToSend(ctx, db, a.OrgID, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item, merr := gis.Meter(nsi, r, tg, g.now())
			if err := add(tg, "meter", r.ID, &item, merr); err != nil {
				return nil, err
			}
		}
	case GISWhatDocuments:
		kind, service, op, capN = "documents", string(giszhkh.ServiceBills), giszhkh.OpImportPaymentDocumentData, caps.Documents
		if g.BankBIK == "" || g.BankAccount == "" {
			return nil, apperr.E(apperr.Invalid, "gis sync", "payment documents need the payee's bank details (ZHKHGATE_GIS_BANK_BIK, ZHKHGATE_GIS_BANK_ACCOUNT)")
		}
		rows, err := store.GISDocumentsToSend(ctx, db, a.OrgID, period, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item, merr := gis.Document(nsi, r, org, tg)
			if err := add(tg, "document", r.ID, &item, merr); err != nil {
				return nil, err
			}
		}
	case GISWhatWithdrawals:
		kind, service, op, capN = "withdrawals", string(giszhkh.ServiceBills), giszhkh.OpImportPaymentDocumentData, caps.Withdrawals
		rows, err := store.GISWithdrawalsToSend(ctx, db, a.OrgID, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item, merr := gis.Withdrawal(r, tg)
			if err := add(tg, "withdrawal", r.ID, &item, merr); err != nil {
				return nil, err
			}
		}
	case GISWhatPayments:
		kind, service, op, capN = "payments", string(giszhkh.ServicePayment), giszhkh.OpImportSupplierNotifications, caps.Payments
		rows, err := store.GISPaymentsToSend(ctx, db, a.OrgID, period, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item, merr := gis.Payment(r, tg)
			if err := add(tg, "payment", r.ID, &item, merr); err != nil {
				return nil, err
			}
		}
	case GISWhatCancellations:
		kind, service, op, capN = "cancellations", string(giszhkh.ServicePayment), giszhkh.OpImportNotificationsCancellation, caps.Cancellations
		rows, err := store.GISCancellationsToSend(ctx, db, a.OrgID, all)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			tg := g.Builder.NewGUID()
			item := gis.Cancellation(r, tg)
			if err := add(tg, "cancellation", r.ID, &item, nil); err != nil {
				return nil, err
			}
		}
	case GISWhatReadings:
		return planReadings(ctx, db, nsi, a.OrgID, period)
	case GISWhatNsi:
		return planNsi(a.OrgID), nil
	}

	var p *time.Time
	if !period.IsZero() {
		p = &period
	}
	var plans []GISPlan
	for chunk := range slices.Chunk(items, capN) {
		if kind == "documents" {
			query, _ = json.Marshal(documentsQuery{Year: period.Year(), Month: int(period.Month()), Provider: org,
				Bank: giszhkh.BankDetails{TransportGUID: g.Builder.NewGUID(), BIK: g.BankBIK, Account: g.BankAccount}})
		}
		plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: a.OrgID, Kind: kind, Service: service, Operation: op, Period: p, Query: query}, Items: chunk})
	}
	if len(failed) > 0 {
		plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: a.OrgID, Kind: kind, Service: service, Operation: op, Period: p,
			State: store.GISStopped, ErrorCode: "MAPPING", Error: fmt.Sprintf("%d objects cannot be sent; see the items", len(failed))}, Items: failed})
	}
	return plans, nil
}

// nsiQuery is one reference book to export.
type nsiQuery struct {
	Registry int
	Provider bool // the organization's own book (exportDataProviderNsiItem)
	// Page > 0 asks for that page of a common book (exportNsiPagingItem,
	// 1000 elements a page); the answer of one page queues the next.
	Page int `json:",omitempty"`
}

// gisNsiBooks are the reference books the mappings use: common НСИ 2
// (municipal resources) and 50 (housing services); the provider's НСИ 1
// (additional services) and 51 (municipal services).
var gisNsiBooks = []nsiQuery{{Registry: 2}, {Registry: 50}, {Registry: 1, Provider: true}, {Registry: 51, Provider: true}}

func planNsi(orgID int64) []GISPlan {
	var plans []GISPlan
	for _, q := range gisNsiBooks {
		m := store.GISMessage{OrgID: orgID, Kind: "nsi", Service: string(giszhkh.ServiceNsiCommon), Operation: giszhkh.OpExportNsiPagingItem}
		if q.Provider {
			m.Service, m.Operation = string(giszhkh.ServiceNsi), giszhkh.OpExportDataProviderNsiItem
		} else {
			q.Page = 1 // common books can be larger than one answer: page through them
		}
		m.Query, _ = json.Marshal(q)
		plans = append(plans, GISPlan{Message: m})
	}
	return plans
}

// planReadings plans exportMeteringDeviceHistory by up to 100 houses.
func planReadings(ctx context.Context, db store.DBTX, nsi gis.NSI, orgID int64, period time.Time) ([]GISPlan, error) {
	houses, err := store.GISHouseGUIDs(ctx, db, orgID)
	if err != nil {
		return nil, err
	}
	res, err := store.GISMeterResources(ctx, db, orgID)
	if err != nil {
		return nil, err
	}
	var refs []giszhkh.NsiRef
	for _, r := range res {
		if ref, _, ok := gis.Resource(nsi, r); ok {
			refs = append(refs, ref)
		}
	}
	if len(houses) == 0 || len(refs) == 0 {
		return nil, nil
	}
	var plans []GISPlan
	for chunk := range slices.Chunk(houses, 100) {
		q, err := json.Marshal(giszhkh.HistoryQuery{FIASHouseGUIDs: chunk, Resources: refs, From: period})
		if err != nil {
			return nil, err
		}
		plans = append(plans, GISPlan{Message: store.GISMessage{OrgID: orgID, Kind: "readings", Service: string(giszhkh.ServiceDeviceMetering),
			Operation: giszhkh.OpExportMeteringDeviceHistory, Period: &period, Query: q}})
	}
	return plans, nil
}

// BuildGISRequest builds the signed request of a prepared message from the
// payloads stored with its items (failed items are left out).
func BuildGISRequest(ctx context.Context, g *GIS, org string, m store.GISMessage, items []store.GISItem) (*giszhkh.Request, error) {
	var pending []store.GISItem
	for _, it := range items {
		if it.State == "pending" || it.State == "" { // "" = planned, not stored yet (dry run)
			pending = append(pending, it)
		}
	}
	if !slices.Contains(gisExportKinds, m.Kind) && len(pending) == 0 {
		return nil, apperr.Invalidf("gis send", "message %d has no pending items", m.ID)
	}
	b := g.Builder
	if req, ok, err := buildExport(ctx, b, org, m); ok {
		return req, err
	}
	switch m.Kind {
	case "accounts":
		v, err := decodeItems[giszhkh.Account](pending)
		if err != nil {
			return nil, err
		}
		return b.ImportAccounts(ctx, org, v)
	case "meters":
		v, err := decodeItems[giszhkh.Meter](pending)
		if err != nil {
			return nil, err
		}
		return b.ImportMeters(ctx, org, v)
	case "documents":
		v, err := decodeItems[giszhkh.PaymentDocument](pending)
		if err != nil {
			return nil, err
		}
		var q documentsQuery
		if err := json.Unmarshal(m.Query, &q); err != nil {
			return nil, fmt.Errorf("gis send: message %d query: %w", m.ID, err)
		}
		return b.ImportPaymentDocuments(ctx, org, giszhkh.PaymentDocuments{Year: q.Year, Month: q.Month, Bank: q.Bank, ProviderPPAGUID: q.Provider, Documents: v})
	case "withdrawals":
		v, err := decodeItems[giszhkh.Withdrawal](pending)
		if err != nil {
			return nil, err
		}
		return b.WithdrawPaymentDocuments(ctx, org, v)
	case "payments":
		v, err := decodeItems[giszhkh.SupplierNotification](pending)
		if err != nil {
			return nil, err
		}
		return b.ImportSupplierNotifications(ctx, org, v)
	case "cancellations":
		v, err := decodeItems[giszhkh.Cancellation](pending)
		if err != nil {
			return nil, err
		}
		return b.ImportCancellations(ctx, org, v)
	case "nsi":
		var q nsiQuery
		if err := json.Unmarshal(m.Query, &q); err != nil {
			return nil, fmt.Errorf("gis send: message %d query: %w", m.ID, err)
		}
		if q.Provider {
			return b.ExportDataProviderNsiItem(ctx, org, q.Registry)
		}
		return b.ExportNsiItem(ctx, q.Registry, "NSI", q.Page, time.Time{})
	case "readings":
		var q giszhkh.HistoryQuery
		if err := json.Unmarshal(m.Query, &q); err != nil {
			return nil, fmt.Errorf("gis send: message %d query: %w", m.ID, err)
		}
		return b.ExportMeterHistory(ctx, org, q)
	}
	return nil, apperr.Invalidf("gis send", "message %d has unknown kind %q", m.ID, m.Kind)
}

func decodeItems[T any](items []store.GISItem) ([]T, error) {
	out := make([]T, 0, len(items))
	for _, it := range items {
		var v T
		if err := json.Unmarshal(it.Payload, &v); err != nil {
			return nil, fmt.Errorf("gis send: item %s payload: %w", it.TransportGUID, err)
		}
		out = append(out, v)
	}
	return out, nil
}
