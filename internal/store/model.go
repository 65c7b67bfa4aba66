package store

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/zhkhgate/zhkhgate/internal/model"
)

// ReserveIDs takes n consecutive ids from table's identity sequence and
// returns the first, so bulk loads can COPY rows with their keys and
// children can reference them without a round trip per row.
func ReserveIDs(ctx context.Context, db DBTX, table string, n int64) (int64, error) {
	if n <= 0 {
		return 0, nil
	}
	var first int64
	err := db.QueryRow(ctx, `
		WITH s AS (SELECT pg_get_serial_sequence($1, 'id') AS seq)
		SELECT setval(s.seq, nextval(s.seq) + $2 - 1) - $2 + 1 FROM s`, table, n).Scan(&first)
	if err != nil {
		return 0, fmt.Errorf("reserve %d ids in %s: %w", n, table, err)
	}
	return first, nil
}

// copySeq streams seq into table with COPY.
func copySeq[T any](ctx context.Context, db DBTX, table string, cols []string, seq iter.Seq[T], row func(T) []any) (int64, error) {
	next, stop := iter.Pull(seq)
	defer stop()
	src := &seqSource[T]{next: next, row: row}
	n, err := db.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	if err != nil {
		return n, fmt.Errorf("copy into %s: %w", table, err)
	}
	return n, nil
}

type seqSource[T any] struct {
	next func() (T, bool)
	row  func(T) []any
	cur  T
}

func (s *seqSource[T]) Next() bool {
	v, ok := s.next()
	s.cur = v
	return ok
}
func (s *seqSource[T]) Values() ([]any, error) { return s.row(s.cur), nil }
func (s *seqSource[T]) Err() error             { return nil }

func optNumeric(d *model.Decimal) any {
	if d == nil {
		return nil
	}
	return *d
}

func date(t time.Time) pgtype.Date { return pgtype.Date{Time: t, Valid: true} }

// CopyOrganizations bulk-loads organizations with their ids.
func CopyOrganizations(ctx context.Context, db DBTX, seq iter.Seq[model.Organization]) (int64, error) {
	return copySeq(ctx, db, "organizations",
		[]string{"id", "name", "short_name", "inn", "kpp", "ogrn", "role", "gis_org_ppa_guid",
			"address", "bank_name", "bik", "settlement_account", "corr_account"}, seq,
		func(o model.Organization) []any {
			return []any{o.ID, o.Name, o.ShortName, o.INN, o.KPP, o.OGRN, o.Role, o.GISOrgPPAGUID,
				nullText(o.Address), nullText(o.BankName), nullText(o.BIK), nullText(o.SettlementAccount), nullText(o.CorrAccount)}
		})
}

// CopyHouses bulk-loads houses with their ids.
func CopyHouses(ctx context.Context, db DBTX, seq iter.Seq[model.House]) (int64, error) {
	return copySeq(ctx, db, "houses",
		[]string{"id", "org_id", "address", "fias_house_guid", "oktmo", "floors", "built_year", "total_area"}, seq,
		func(h model.House) []any {
			return []any{h.ID, h.OrgID, h.Address, h.FIASHouseGUID, h.OKTMO, h.Floors, h.BuiltYear, h.TotalArea}
		})
}

// CopyPremises bulk-loads premises with their ids.
func CopyPremises(ctx context.Context, db DBTX, seq iter.Seq[model.Premises]) (int64, error) {
	return copySeq(ctx, db, "premises", []string{"id", "house_id", "number", "kind", "total_area", "rooms"}, seq,
		func(p model.Premises) []any {
			return []any{p.ID, p.HouseID, p.Number, p.Kind, p.TotalArea, p.Rooms}
		})
}

// CopyAccounts bulk-loads accounts with their ids.
func CopyAccounts(ctx context.Context, db DBTX, seq iter.Seq[model.Account]) (int64, error) {
	return copySeq(ctx, db, "accounts",
		[]string{"id", "org_id", "premises_id", "number", "payer_name", "total_area", "heated_area", "residents_count", "opened_on"}, seq,
		func(a model.Account) []any {
			area := a.TotalArea
			return []any{a.ID, a.OrgID, a.PremisesID, a.Number, a.PayerName, area, area, a.ResidentsCount, date(a.OpenedOn)}
		})
}

// CopyServices bulk-loads services with their ids.
func CopyServices(ctx context.Context, db DBTX, seq iter.Seq[model.Service]) (int64, error) {
	return copySeq(ctx, db, "services", []string{"id", "org_id", "code", "name", "unit", "kind", "nsi_registry", "nsi_code"}, seq,
		func(s model.Service) []any {
			return []any{s.ID, s.OrgID, s.Code, s.Name, s.Unit, s.Kind, s.NSIRegistry, s.NSICode}
		})
}

// CopyTariffs bulk-loads tariffs.
func CopyTariffs(ctx context.Context, db DBTX, seq iter.Seq[model.Tariff]) (int64, error) {
	return copySeq(ctx, db, "tariffs", []string{"service_id", "valid_from", "valid_to", "rate", "norm"}, seq,
		func(t model.Tariff) []any {
			var to any
			if t.ValidTo != nil {
				to = date(*t.ValidTo)
			}
			return []any{t.ServiceID, date(t.ValidFrom), to, t.Rate, optNumeric(t.Norm)}
		})
}

// CopyCharges bulk-loads monthly charges.
func CopyCharges(ctx context.Context, db DBTX, seq iter.Seq[model.Charge]) (int64, error) {
	return copySeq(ctx, db, "charges",
		[]string{"account_id", "service_id", "period", "tariff", "norm", "volume", "amount", "recalculation", "benefit"}, seq,
		func(c model.Charge) []any {
			return []any{c.AccountID, c.ServiceID, date(c.Period), c.Tariff, optNumeric(c.Norm), c.Volume,
				c.Amount, c.Recalculation, c.Benefit}
		})
}

// CopyPaymentDocuments bulk-loads payment documents.
func CopyPaymentDocuments(ctx context.Context, db DBTX, seq iter.Seq[model.PaymentDocument]) (int64, error) {
	return copySeq(ctx, db, "payment_documents",
		[]string{"account_id", "period", "number", "opening_balance", "paid", "charged", "penalties", "total_due", "state"}, seq,
		func(d model.PaymentDocument) []any {
			return []any{d.AccountID, date(d.Period), d.Number, d.OpeningBalance, d.Paid, d.Charged, d.Penalties, d.TotalDue, d.State}
		})
}

// CopyPayments bulk-loads payments.
func CopyPayments(ctx context.Context, db DBTX, seq iter.Seq[model.Payment]) (int64, error) {
	return copySeq(ctx, db, "payments",
		[]string{"source", "operation_id", "operation_date", "paid_at", "account_id", "period", "amount", "commission", "payer_name"}, seq,
		func(p model.Payment) []any {
			var period any
			if p.Period != nil {
				period = date(*p.Period)
			}
			return []any{p.Source, p.OperationID, date(p.OperationDate), p.PaidAt, p.AccountID, period, p.Amount, p.Commission, p.PayerName}
		})
}

// CopyMeters bulk-loads meters with their ids.
func CopyMeters(ctx context.Context, db DBTX, seq iter.Seq[model.Meter]) (int64, error) {
	return copySeq(ctx, db, "meters",
		[]string{"id", "premises_id", "account_id", "number", "resource", "place", "tariff_zones", "installed_on", "verified_on", "next_verification_on"}, seq,
		func(m model.Meter) []any {
			return []any{m.ID, m.PremisesID, m.AccountID, m.Number, m.Resource, m.Place, m.TariffZones,
				date(m.InstalledOn), date(m.VerifiedOn), date(m.NextVerifyOn)}
		})
}

// CopyReadings bulk-loads meter readings.
func CopyReadings(ctx context.Context, db DBTX, seq iter.Seq[model.Reading]) (int64, error) {
	return copySeq(ctx, db, "readings", []string{"meter_id", "taken_on", "value", "source"}, seq,
		func(r model.Reading) []any { return []any{r.MeterID, date(r.TakenOn), r.Value, r.Source} })
}

// DemoLoad records a finished demo load.
type DemoLoad struct {
	Seed     int64
	Accounts int
	Months   int
	Duration time.Duration
	LoadedAt time.Time
}

// LastDemoLoad returns the recorded demo load, if any.
func LastDemoLoad(ctx context.Context, db DBTX) (*DemoLoad, error) {
	var d DemoLoad
	var ms int64
	err := db.QueryRow(ctx, `SELECT seed, accounts, months, duration_ms, loaded_at FROM demo_loads ORDER BY id DESC LIMIT 1`).
		Scan(&d.Seed, &d.Accounts, &d.Months, &ms, &d.LoadedAt)
	if err == pgx.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read demo load: %w", err)
	}
	d.Duration = time.Duration(ms) * time.Millisecond
	return &d, nil
}

// RecordDemoLoad records a finished demo load in the load's transaction.
func RecordDemoLoad(ctx context.Context, db DBTX, d DemoLoad) error {
	_, err := db.Exec(ctx, `INSERT INTO demo_loads (seed, accounts, months, duration_ms) VALUES ($1, $2, $3, $4)`,
		d.Seed, d.Accounts, d.Months, d.Duration.Milliseconds())
	if err != nil {
		return fmt.Errorf("record demo load: %w", err)
	}
	return nil
}

// CountOrganizations counts organizations; the demo refuses to load into a
// database that already serves some.
func CountOrganizations(ctx context.Context, db DBTX) (int64, error) {
	var n int64
	if err := db.QueryRow(ctx, `SELECT count(*) FROM organizations`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count organizations: %w", err)
	}
	return n, nil
}

// Analyze refreshes planner statistics after a bulk load.
func Analyze(ctx context.Context, db DBTX) error {
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// OrganizationsWithAccounts lists the ids of organizations that have
// personal accounts, in id order.
func OrganizationsWithAccounts(ctx context.Context, db DBTX) ([]int64, error) {
	rows, err := db.Query(ctx, `SELECT id FROM organizations o WHERE EXISTS (SELECT 1 FROM accounts a WHERE a.org_id = o.id) ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list organizations with accounts: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("list organizations with accounts: %w", err)
	}
	return ids, nil
}
