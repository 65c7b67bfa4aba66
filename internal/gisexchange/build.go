package gisexchange

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// builder builds the request of a prepared message from its pending items
// (item subjects) or its stored query (exports).
type builder func(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, items []store.GISItem) (*giszhkh.Request, error)

// Build builds the signed request of a prepared message from the payloads
// stored with its items (failed and held items are left out).
func (x *Exchange) Build(ctx context.Context, org string, m store.GISMessage, items []store.GISItem) (*giszhkh.Request, error) {
	s, ok := Lookup(What(m.Kind))
	if !ok {
		return nil, apperr.Invalidf("gis send", "message %d has unknown kind %q", m.ID, m.Kind)
	}
	var pending []store.GISItem
	for _, it := range items {
		if it.State == store.ItemPending || it.State == "" { // "" = planned, not stored yet (dry run)
			pending = append(pending, it)
		}
	}
	if !s.Export && len(pending) == 0 {
		return nil, apperr.Invalidf("gis send", "message %d has no pending items", m.ID)
	}
	return s.build(ctx, x.deps.Builder, org, m, pending)
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

func decodeQuery[T any](m store.GISMessage) (T, error) {
	var q T
	if err := json.Unmarshal(m.Query, &q); err != nil {
		return q, fmt.Errorf("gis: message %d query: %w", m.ID, err)
	}
	return q, nil
}

// items builds an item subject's request with call.
func items[T any](call func(b *giszhkh.Builder) func(context.Context, string, []T) (*giszhkh.Request, error)) builder {
	return func(ctx context.Context, b *giszhkh.Builder, org string, _ store.GISMessage, its []store.GISItem) (*giszhkh.Request, error) {
		v, err := decodeItems[T](its)
		if err != nil {
			return nil, err
		}
		return call(b)(ctx, org, v)
	}
}

var (
	buildAccounts = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.Account) (*giszhkh.Request, error) {
		return b.ImportAccounts
	})
	buildMeters = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.Meter) (*giszhkh.Request, error) {
		return b.ImportMeters
	})
	buildReadingsImport = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.Reading) (*giszhkh.Request, error) {
		return b.ImportReadings
	})
	buildWithdrawals = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.Withdrawal) (*giszhkh.Request, error) {
		return b.WithdrawPaymentDocuments
	})
	buildPayments = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.SupplierNotification) (*giszhkh.Request, error) {
		return b.ImportSupplierNotifications
	})
	buildCancellations = items(func(b *giszhkh.Builder) func(context.Context, string, []giszhkh.Cancellation) (*giszhkh.Request, error) {
		return b.ImportCancellations
	})
)

func buildDocuments(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, its []store.GISItem) (*giszhkh.Request, error) {
	v, err := decodeItems[giszhkh.PaymentDocument](its)
	if err != nil {
		return nil, err
	}
	q, err := decodeQuery[documentsQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ImportPaymentDocuments(ctx, org, giszhkh.PaymentDocuments{Year: q.Year, Month: q.Month, Bank: q.Bank, ProviderPPAGUID: q.Provider, Documents: v})
}

func buildNsi(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	q, err := decodeQuery[nsiQuery](m)
	if err != nil {
		return nil, err
	}
	if q.Provider {
		return b.ExportDataProviderNsiItem(ctx, org, q.Registry)
	}
	return b.ExportNsiItem(ctx, q.Registry, "NSI", q.Page, time.Time{})
}

func buildReadings(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	q, err := decodeQuery[giszhkh.HistoryQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportMeterHistory(ctx, org, q)
}

func buildOrgs(ctx context.Context, b *giszhkh.Builder, _ string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	if m.Operation == giszhkh.OpExportDataProvider {
		return b.ExportDataProvider(ctx, true)
	}
	q, err := decodeQuery[orgsQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportOrgRegistry(ctx, q.Criteria)
}

func buildHouses(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	h, err := decodeQuery[houseQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportHouse(ctx, org, h.FIASHouseGUID)
}

func buildAccountsExport(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	h, err := decodeQuery[houseQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportAccounts(ctx, org, giszhkh.AccountQuery{FIASHouseGUID: h.FIASHouseGUID})
}

func buildMetersExport(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	h, err := decodeQuery[houseQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportMeters(ctx, org, giszhkh.MeterQuery{FIASHouseGUID: h.FIASHouseGUID})
}

func buildDocumentsExport(ctx context.Context, b *giszhkh.Builder, org string, m store.GISMessage, _ []store.GISItem) (*giszhkh.Request, error) {
	q, err := decodeQuery[giszhkh.DocumentQuery](m)
	if err != nil {
		return nil, err
	}
	return b.ExportPaymentDocuments(ctx, org, q)
}
