package gisexchange

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/mappings/gis"
)

// Plan is one message a sync would create.
type Plan struct {
	Message store.GISMessage
	Items   []store.GISItem
}

// planner chooses what a subject sends: item subjects add items (p.add),
// exports add messages (p.message).
type planner func(ctx context.Context, p *planning) error

// planning is one sync being planned.
type planning struct {
	x      *Exchange
	db     store.DBTX
	s      Subject
	orgID  int64
	period time.Time
	org    string // orgPPAGUID; "" for BeforeOrg subjects
	nsi    *model.GISNsiIndex

	items, failed []store.GISItem
	plans         []Plan
	// chunkQuery, when set, gives each message of items its own query
	// (payment documents: period, provider and bank details).
	chunkQuery func() (any, error)
}

// all is the row limit of the queries choosing what to send: everything.
const all = 10_000_000

// Plan chooses what a sync sends and maps it into messages (chunked to the
// caps) with fresh TransportGUIDs. Objects the mapping refuses go into one
// stopped message whose failed items carry the field errors, so an operator
// sees them among the unconfirmed items. It writes nothing.
func (x *Exchange) Plan(ctx context.Context, db store.DBTX, sc Scope) ([]Plan, error) {
	s, ok := Lookup(sc.What)
	if !ok {
		return nil, apperr.Invalidf("gis sync", "what %q: want one of %v", sc.What, Whats())
	}
	p := &planning{x: x, db: db, s: s, orgID: sc.OrgID}
	if s.Period || sc.Period != "" {
		var err error
		if p.period, err = ParsePeriod(sc.Period); err != nil {
			return nil, err
		}
	}
	if !s.BeforeOrg {
		var err error
		if p.org, err = store.GISOrgPPAGUID(ctx, db, sc.OrgID); err != nil {
			return nil, err
		}
	}
	if err := s.plan(ctx, p); err != nil {
		return nil, err
	}
	if s.Export {
		return p.plans, nil
	}
	per := p.periodPtr()
	msg := func() store.GISMessage {
		return store.GISMessage{OrgID: sc.OrgID, Kind: string(s.What), Service: string(s.Service), Operation: s.Operation, Period: per}
	}
	for chunk := range slices.Chunk(p.items, s.cap(x.cfg.Caps)) {
		m := msg()
		if p.chunkQuery != nil {
			q, err := p.chunkQuery()
			if err != nil {
				return nil, err
			}
			if m.Query, err = json.Marshal(q); err != nil {
				return nil, fmt.Errorf("gis sync: encode %s query: %w", s.What, err)
			}
		}
		p.plans = append(p.plans, Plan{Message: m, Items: chunk})
	}
	if len(p.failed) > 0 {
		m := msg()
		m.State, m.ErrorCode, m.Error = store.MessageStopped, "MAPPING", fmt.Sprintf("%d objects cannot be sent; see the items", len(p.failed))
		p.plans = append(p.plans, Plan{Message: m, Items: p.failed})
	}
	return p.plans, nil
}

func (p *planning) periodPtr() *time.Time {
	if p.period.IsZero() {
		return nil
	}
	per := p.period
	return &per
}

// NSI loads the organization's reference-book elements once.
func (p *planning) NSI(ctx context.Context) (model.GISNsiIndex, error) {
	if p.nsi == nil {
		idx, err := store.GISNsiGUIDs(ctx, p.db, p.orgID)
		if err != nil {
			return idx, err
		}
		p.nsi = &idx
	}
	return *p.nsi, nil
}

// add maps one object into an item. Each object gets its TransportGUID
// here, before the mapping puts it into the item; it is stored with the
// item before anything is sent. A mapping error makes a failed item.
func (p *planning) add(id int64, mapItem func(tg string) (any, error)) error {
	tg := p.x.deps.Builder.NewGUID()
	v, merr := mapItem(tg)
	if merr != nil {
		p.failed = append(p.failed, store.GISItem{TransportGUID: tg, ObjectKind: p.s.Object, ObjectID: id, State: store.ItemFailed, Error: merr.Error()})
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("gis sync: encode %s %d: %w", p.s.Object, id, err)
	}
	p.items = append(p.items, store.GISItem{TransportGUID: tg, ObjectKind: p.s.Object, ObjectID: id, Payload: b})
	return nil
}

// message adds one export message of service/op asking query (nil: none).
func (p *planning) message(service giszhkh.Service, op string, query any) error {
	m := store.GISMessage{OrgID: p.orgID, Kind: string(p.s.What), Service: string(service), Operation: op}
	if p.s.Period {
		m.Period = p.periodPtr()
	}
	if query != nil {
		b, err := json.Marshal(query)
		if err != nil {
			return fmt.Errorf("gis sync: encode %s query: %w", p.s.What, err)
		}
		m.Query = b
	}
	p.plans = append(p.plans, Plan{Message: m})
	return nil
}

// --- item subjects ----------------------------------------------------------

func planAccounts(ctx context.Context, p *planning) error {
	rows, err := store.GISAccountsToSend(ctx, p.db, p.orgID, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Account(r, tg); return &v, err }); err != nil {
			return err
		}
	}
	return nil
}

func planMeters(ctx context.Context, p *planning) error {
	nsi, err := p.NSI(ctx)
	if err != nil {
		return err
	}
	rows, err := store.GISMetersToSend(ctx, p.db, p.orgID, all)
	if err != nil {
		return err
	}
	now := p.x.now()
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Meter(nsi, r, tg, now); return &v, err }); err != nil {
			return err
		}
	}
	return nil
}

// planReadingsImport plans the newest reading residents sent of each meter GIS holds, one item
// per reading (so one device per item: a message never carries more than one value of a device).
func planReadingsImport(ctx context.Context, p *planning) error {
	nsi, err := p.NSI(ctx)
	if err != nil {
		return err
	}
	rows, err := store.GISReadingsToSend(ctx, p.db, p.orgID, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Reading(nsi, r, tg); return &v, err }); err != nil {
			return err
		}
	}
	return nil
}

func planDocuments(ctx context.Context, p *planning) error {
	cfg := p.x.cfg
	if cfg.BankBIK == "" || cfg.BankAccount == "" {
		return apperr.E(apperr.Invalid, "gis sync", "payment documents need the payee's bank details (ZHKHGATE_GIS_BANK_BIK, ZHKHGATE_GIS_BANK_ACCOUNT)")
	}
	nsi, err := p.NSI(ctx)
	if err != nil {
		return err
	}
	rows, err := store.GISDocumentsToSend(ctx, p.db, p.orgID, p.period, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Document(nsi, r, p.org, tg); return &v, err }); err != nil {
			return err
		}
	}
	p.chunkQuery = func() (any, error) {
		return documentsQuery{Year: p.period.Year(), Month: int(p.period.Month()), Provider: p.org,
			Bank: giszhkh.BankDetails{TransportGUID: p.x.deps.Builder.NewGUID(), BIK: cfg.BankBIK, Account: cfg.BankAccount}}, nil
	}
	return nil
}

func planWithdrawals(ctx context.Context, p *planning) error {
	rows, err := store.GISWithdrawalsToSend(ctx, p.db, p.orgID, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Withdrawal(r, tg); return &v, err }); err != nil {
			return err
		}
	}
	return nil
}

func planPayments(ctx context.Context, p *planning) error {
	rows, err := store.GISPaymentsToSend(ctx, p.db, p.orgID, p.period, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v, err := gis.Payment(r, tg); return &v, err }); err != nil {
			return err
		}
	}
	return nil
}

func planCancellations(ctx context.Context, p *planning) error {
	rows, err := store.GISCancellationsToSend(ctx, p.db, p.orgID, all)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := p.add(r.ID, func(tg string) (any, error) { v := gis.Cancellation(r, tg); return &v, nil }); err != nil {
			return err
		}
	}
	return nil
}

// --- exports ----------------------------------------------------------------

// maxDocumentsPerExport is the practical cap of one exportPaymentDocumentData:
// the schema allows 1000, but GIS keeps answers under 10 MB.
const maxDocumentsPerExport = 300

// maxHousesPerHistory bounds the houses of one exportMeteringDeviceHistory.
const maxHousesPerHistory = 100

// planOrgs plans exportOrgRegistry for every organization with an OGRN,
// 100 criteria a message, and exportDataProvider to learn the orgPPAGUIDs
// GIS lists for the providers linked to our system. The organization
// registry is asked before an organization's orgPPAGUID is known: it is
// what the export finds.
func planOrgs(ctx context.Context, p *planning) error {
	rows, err := store.GISOrgsToExport(ctx, p.db, p.orgID)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(rows, giszhkh.MaxOrgSearchCriteria) {
		var q orgsQuery
		for _, r := range chunk {
			q.Criteria = append(q.Criteria, giszhkh.OrgSearch{OGRN: r.OGRN, KPP: r.KPP})
		}
		if err := p.message(giszhkh.ServiceOrgRegistry, giszhkh.OpExportOrgRegistry, q); err != nil {
			return err
		}
	}
	return p.message(giszhkh.ServiceOrgRegistry, giszhkh.OpExportDataProvider, nil)
}

// gisNsiBooks are the reference books the mappings use: common НСИ 2
// (municipal resources) and 50 (housing services); the provider's НСИ 1
// (additional services) and 51 (municipal services).
var gisNsiBooks = []nsiQuery{{Registry: 2}, {Registry: 50}, {Registry: 1, Provider: true}, {Registry: 51, Provider: true}}

func planNsi(_ context.Context, p *planning) error {
	for _, q := range gisNsiBooks {
		if q.Provider {
			if err := p.message(giszhkh.ServiceNsi, giszhkh.OpExportDataProviderNsiItem, q); err != nil {
				return err
			}
			continue
		}
		q.Page = 1 // common books can be larger than one answer: page through them
		if err := p.message(giszhkh.ServiceNsiCommon, giszhkh.OpExportNsiPagingItem, q); err != nil {
			return err
		}
	}
	return nil
}

// byHouse plans one message of the subject's operation per house.
func byHouse(p *planning, houses []string, err error) error {
	if err != nil {
		return err
	}
	for _, h := range houses {
		if err := p.message(p.s.Service, p.s.Operation, houseQuery{FIASHouseGUID: h}); err != nil {
			return err
		}
	}
	return nil
}

func planHouses(ctx context.Context, p *planning) error {
	houses, err := store.GISOrgHouses(ctx, p.db, p.orgID)
	return byHouse(p, houses, err)
}

func planAccountsExport(ctx context.Context, p *planning) error {
	houses, err := store.GISAccountHousesToReconcile(ctx, p.db, p.orgID)
	return byHouse(p, houses, err)
}

func planMetersExport(ctx context.Context, p *planning) error {
	houses, err := store.GISMeterHousesToReconcile(ctx, p.db, p.orgID)
	return byHouse(p, houses, err)
}

func planDocumentsExport(ctx context.Context, p *planning) error {
	accs, err := store.GISDocumentAccountsToReconcile(ctx, p.db, p.orgID, p.period)
	if err != nil {
		return err
	}
	for chunk := range slices.Chunk(accs, maxDocumentsPerExport) {
		q := giszhkh.DocumentQuery{Year: p.period.Year(), Month: int(p.period.Month()), AccountGUIDs: chunk}
		if err := p.message(p.s.Service, p.s.Operation, q); err != nil {
			return err
		}
	}
	return nil
}

// planReadings plans exportMeteringDeviceHistory by up to 100 houses.
func planReadings(ctx context.Context, p *planning) error {
	nsi, err := p.NSI(ctx)
	if err != nil {
		return err
	}
	houses, err := store.GISHouseGUIDs(ctx, p.db, p.orgID)
	if err != nil {
		return err
	}
	res, err := store.GISMeterResources(ctx, p.db, p.orgID)
	if err != nil {
		return err
	}
	var refs []giszhkh.NsiRef
	for _, r := range res {
		if ref, _, ok := gis.Resource(nsi, r); ok {
			refs = append(refs, ref)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	for chunk := range slices.Chunk(houses, maxHousesPerHistory) {
		q := giszhkh.HistoryQuery{FIASHouseGUIDs: chunk, Resources: refs, From: p.period}
		if err := p.message(p.s.Service, p.s.Operation, q); err != nil {
			return err
		}
	}
	return nil
}
