package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestSearchHouses: every typed word must occur (ё as е, any case, abbreviations ignored), a
// number only as a whole number, at most ten results, best first.
func TestSearchHouses(t *testing.T) {
	t.Parallel()
	db := testdb.New(t)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `
		INSERT INTO organizations (id, name, inn, role) VALUES (1, 'РЦ', '7720999999', 'settlement');
		INSERT INTO houses (org_id, address, fias_house_guid)
		SELECT 1, a, gen_random_uuid() FROM unnest(ARRAY[
			'г. Пермь, ул. Ленина, д. 1', 'г. Пермь, ул. Ленина, д. 12', 'г. Пермь, ул. Ленина, д. 21',
			'г. Пермь, ул. Пушкина, д. 1', 'г. Пермь, ул. Щёрса, д. 5', 'г. Пермь, пр-т Ленинский, д. 1/2']) a;
		INSERT INTO houses (org_id, address, fias_house_guid)
		SELECT 1, 'г. Пермь, ул. Мира, д. ' || n, gen_random_uuid() FROM generate_series(1, 30) n`); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    string
		want []string
	}{
		{"Ленина 1", []string{"г. Пермь, ул. Ленина, д. 1"}},
		{"ул. ленина, д. 12", []string{"г. Пермь, ул. Ленина, д. 12"}},
		{"ленин 1", []string{"г. Пермь, пр-т Ленинский, д. 1/2", "г. Пермь, ул. Ленина, д. 1"}},
		{"Щерса 5", []string{"г. Пермь, ул. Щёрса, д. 5"}},
		{"ЩЁРСА", []string{"г. Пермь, ул. Щёрса, д. 5"}},
		{"Ленина 7", nil},
		{"Садовая", nil},
		{"л", nil},
		{"", nil},
		{"%", nil},
		{"_ _", nil},
	} {
		got, err := store.SearchHouses(ctx, db, c.q)
		if err != nil {
			t.Fatalf("%q: %v", c.q, err)
		}
		var addrs []string
		for _, h := range got {
			addrs = append(addrs, h.Address)
		}
		slices.Sort(addrs)
		if !slices.Equal(addrs, c.want) {
			t.Errorf("SearchHouses(%q) = %v, want %v", c.q, addrs, c.want)
		}
	}
	if got, _ := store.SearchHouses(ctx, db, "Мира"); len(got) != store.HouseSearchLimit {
		t.Errorf("30 houses on Мира: %d results, want %d", len(got), store.HouseSearchLimit)
	}
	// The trigram index serves the search (forced past a sequential scan, the table being small).
	tx, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(ctx, `EXPLAIN SELECT id FROM houses WHERE search_key LIKE '%' || $1 || '%'`, "ленина")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || !strings.Contains(strings.Join(plan, "\n"), "houses_search_idx") {
		t.Errorf("the search does not use houses_search_idx: %v %v", plan, err)
	}
}

// readingsWorld is one account with two meters, its readings and a second resident.
func readingsWorld(t *testing.T) (*pgxpool.Pool, int64) {
	t.Helper()
	db := testdb.New(t)
	if _, err := db.Exec(context.Background(), `
		INSERT INTO organizations (id, name, inn, role, reading_window_from, reading_window_to) VALUES (1, 'РЦ', '7720999999', 'settlement', 20, 26);
		INSERT INTO houses (id, org_id, address, fias_house_guid) VALUES (1, 1, 'ул. Примерная, 1', gen_random_uuid());
		INSERT INTO premises (id, house_id, number) VALUES (1, 1, '1'), (2, 1, '2');
		INSERT INTO accounts (id, org_id, premises_id, number, payer_name, opened_on) VALUES
			(1, 1, 1, '1001', 'Иванов Иван', '2020-01-01'), (2, 1, 2, '1002', 'Петров Пётр', '2020-01-01');
		INSERT INTO meters (id, premises_id, account_id, number, resource, next_verification_on) VALUES
			(1, 1, 1, 'M1', 'cold_water', '2030-01-01'), (2, 1, 1, 'M2', 'hot_water', NULL), (3, 2, 2, 'M3', 'cold_water', NULL);
		-- M1: monthly readings for a year; one contradicting, one from the bank on the same day as a resident's.
		INSERT INTO readings (meter_id, taken_on, value, source, flag)
		SELECT 1, date '2025-10-20' + make_interval(months => n), 100 + n * 4, 'resident', '' FROM generate_series(0, 12) n;
		INSERT INTO readings (meter_id, taken_on, value, source, flag) VALUES
			(1, '2026-10-21', 10, 'gis', 'contradicts'),
			(1, '2026-10-20', 147, 'bank', ''),
			(2, '2026-10-01', 50, 'resident', ''), (2, '2026-10-15', 51, 'resident', ''),
			(3, '2026-10-01', 7, 'resident', '');
		INSERT INTO payment_documents (account_id, period, number, charged, total_due)
			VALUES (1, '2026-09-01', 'D1', 100, 100);
		INSERT INTO residents (id, last_name) VALUES (1, 'Иванов'), (2, 'Петров');
		INSERT INTO resident_accounts (resident_id, account_id, verified_at) VALUES (1, 1, now()), (2, 2, now())`); err != nil {
		t.Fatal(err)
	}
	return db, 1
}

// TestMeterCards: the last trusted reading (a resident's wins the day over the bank's; a
// contradicting one never counts), the reading the last receipt printed, the six-month average
// and the organization's window.
func TestMeterCards(t *testing.T) {
	t.Parallel()
	db, acc := readingsWorld(t)
	cards, err := store.MeterCards(context.Background(), db, acc)
	if err != nil || len(cards) != 2 {
		t.Fatalf("cards %+v, %v", cards, err)
	}
	m1, m2 := cards[0], cards[1]
	if m1.Number != "M1" || m1.LastValue.String() != "148.0000" || !m1.LastTakenOn.Equal(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("M1 last %v on %v; want 148 (the resident's) on 2026-10-20", m1.LastValue, m1.LastTakenOn)
	}
	// The last document is for September: the receipt printed the reading of 20 September.
	if m1.ReceiptValue == nil || m1.ReceiptValue.String() != "144.0000" {
		t.Errorf("M1 receipt reading %v, want 144", m1.ReceiptValue)
	}
	// 24 m³ over the six months 2026-04-20 … 2026-10-20 (183 days, 6.012 months of 30.4375 days).
	if m1.Average == nil || m1.Average.String() != "3.992" {
		t.Errorf("M1 average %v, want 3.992", m1.Average)
	}
	if m1.Window != (store.ReadingWindow{From: 20, To: 26}) || m1.NextVerificationOn == nil {
		t.Errorf("M1 window %+v, next verification %v", m1.Window, m1.NextVerificationOn)
	}
	// Two weeks of readings give no average.
	if m2.Average != nil || m2.LastValue.String() != "51.0000" {
		t.Errorf("M2 average %v, last %v", m2.Average, m2.LastValue)
	}
}

// TestSaveMeterReading: stored with its date, replacing the same day's; a meter of another
// account is NotFound.
func TestSaveMeterReading(t *testing.T) {
	t.Parallel()
	db, acc := readingsWorld(t)
	ctx := context.Background()
	day := time.Date(2026, 10, 22, 0, 0, 0, 0, time.UTC)
	for _, v := range []int64{1500, 1510} {
		if err := store.SaveMeterReading(ctx, db, acc, 1, day, model.Decimal{Units: v, Scale: 1}); err != nil {
			t.Fatal(err)
		}
	}
	cards, _ := store.MeterCards(ctx, db, acc)
	if cards[0].LastValue.String() != "151.0000" || !cards[0].LastTakenOn.Equal(day) {
		t.Errorf("last %v on %v", cards[0].LastValue, cards[0].LastTakenOn)
	}
	if err := store.SaveMeterReading(ctx, db, acc, 3, day, model.Decimal{Units: 8}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("another account's meter: %v", err)
	}
}

// TestResidentMeterHistory: sorted on the server by each column both ways, consumption against
// the previous trusted reading, flagged readings listed without it; another resident's account or
// a meter of another account gives NotFound and no rows.
func TestResidentMeterHistory(t *testing.T) {
	t.Parallel()
	db, acc := readingsWorld(t)
	ctx := context.Background()
	get := func(sort store.HistorySort, asc bool) []store.HistoryRow {
		t.Helper()
		_, rows, err := store.ResidentMeterHistory(ctx, db, 1, acc, 1, sort, asc)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	rows := get(store.SortDate, false)
	if len(rows) != 15 || !rows[0].TakenOn.Equal(time.Date(2026, 10, 21, 0, 0, 0, 0, time.UTC)) || rows[0].Flag != "contradicts" || rows[0].Consumption != nil {
		t.Fatalf("newest first: %+v", rows[0])
	}
	// 2026-10-20: the bank's 147, then the resident's 148 (the trusted one of the day comes last).
	if rows[1].Source != "resident" || rows[1].Consumption.String() != "1.0000" || rows[2].Source != "bank" || rows[2].Consumption.String() != "3.0000" {
		t.Errorf("same day: %+v %+v", rows[1], rows[2])
	}
	if last := rows[len(rows)-1]; last.Consumption != nil {
		t.Errorf("the first reading has consumption %v", last.Consumption)
	}
	asc := get(store.SortDate, true)
	if !asc[0].TakenOn.Equal(time.Date(2025, 10, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("oldest first: %+v", asc[0])
	}
	byValue := get(store.SortValue, false)
	if byValue[0].Value.String() != "148.0000" || byValue[len(byValue)-1].Value.String() != "10.0000" {
		t.Errorf("by value: %v … %v", byValue[0].Value, byValue[len(byValue)-1].Value)
	}
	byUse := get(store.SortConsumption, true)
	if byUse[0].Consumption.String() != "1.0000" || byUse[len(byUse)-1].Consumption != nil {
		t.Errorf("by consumption: %v first, %v last (no consumption last)", byUse[0].Consumption, byUse[len(byUse)-1].Consumption)
	}
	byUseDesc := get(store.SortConsumption, false)
	if byUseDesc[0].Consumption.String() != "4.0000" || byUseDesc[len(byUseDesc)-1].Consumption != nil {
		t.Errorf("by consumption desc: %v first", byUseDesc[0].Consumption)
	}
	// An unknown sort is by date.
	if got := get("value; DROP TABLE readings", false); got[0].Flag != "contradicts" {
		t.Errorf("unknown sort: %+v", got[0])
	}
	for _, c := range []struct {
		name                     string
		resident, account, meter int64
	}{
		{"another resident's account", 2, acc, 1},
		{"own account, another account's meter", 2, 2, 1},
		{"another resident's meter through own account", 1, acc, 3},
	} {
		_, rows, err := store.ResidentMeterHistory(ctx, db, c.resident, c.account, c.meter, store.SortDate, false)
		if !apperr.Is(err, apperr.NotFound) || rows != nil {
			t.Errorf("%s: %d rows, %v; want NotFound and none", c.name, len(rows), err)
		}
	}
}

func TestSetReadingWindow(t *testing.T) {
	t.Parallel()
	db, acc := readingsWorld(t)
	ctx := context.Background()
	if err := store.SetReadingWindow(ctx, db, 1, store.ReadingWindow{From: 1, To: 31}); err != nil {
		t.Fatal(err)
	}
	cards, _ := store.MeterCards(ctx, db, acc)
	if cards[0].Window != (store.ReadingWindow{From: 1, To: 31}) {
		t.Errorf("window %+v", cards[0].Window)
	}
	for _, w := range []store.ReadingWindow{{0, 10}, {10, 32}, {20, 10}} {
		if err := store.SetReadingWindow(ctx, db, 1, w); !apperr.Is(err, apperr.Invalid) {
			t.Errorf("%+v: %v", w, err)
		}
	}
	if err := store.SetReadingWindow(ctx, db, 99, store.ReadingWindow{From: 1, To: 2}); !apperr.Is(err, apperr.NotFound) {
		t.Errorf("unknown organization: %v", err)
	}
}
