package store_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

const exportHouse = "b9a1c2d3-e4f5-4a6b-8c7d-0e1f2a3b4c5d"

// TestApplyGISExports applies each export twice: the first run writes the
// identifiers and reports what did not match, the second finds everything
// in place and reports the same.
func TestApplyGISExports(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 3) // premises "1", "2", "3"; accounts 10000, 10001, 10002
	if _, err := db.Exec(ctx, `UPDATE organizations SET ogrn = '1115902000123', kpp = '590201001', gis_org_ppa_guid = NULL WHERE id = $1`, org); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO meters (premises_id, account_id, number, resource)
		SELECT premises_id, id, 'ХВ-' || number, 'cold_water' FROM accounts WHERE org_id = $1`, org); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `INSERT INTO payment_documents (account_id, period, number, total_due, state)
		SELECT id, '2026-10-01', '2026-10-' || number, 100, 'ready' FROM accounts WHERE org_id = $1`, org); err != nil {
		t.Fatal(err)
	}
	g := func(n int) string { return fmt.Sprintf("a0b1c2d3-e4f5-4a6b-8c7d-%012d", n) }
	period := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

	steps := []struct {
		name  string
		apply func(tx pgx.Tx) (store.GISExportResult, error)
		want  store.GISExportResult
	}{
		{"orgs", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISOrgs(ctx, tx, []model.GISOrg{
				{RootGUID: g(900), VersionGUID: g(901), PPAGUID: "6d2f5e3a-1b2c-4d5e-8f90-123456789abc", OGRN: "1115902000123", KPP: "590201001"},
				{RootGUID: g(910), VersionGUID: g(911), OGRN: "1027700132195", KPP: "770401001"},
			})
		}, store.GISExportResult{Received: 2, Matched: 1, Unknown: 1, UnknownLabels: []string{"1027700132195/770401001"}, MissingLabels: []string{}}},
		{"providers", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISProviders(ctx, tx, []model.GISProvider{{DataProviderGUID: g(920), RootGUID: g(900)}, {DataProviderGUID: g(930), RootGUID: g(931)}})
		}, store.GISExportResult{Received: 2, Matched: 1, Unknown: 1, UnknownLabels: []string{g(930)}, MissingLabels: []string{}}},
		{"houses", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISHouse(ctx, tx, org, model.GISHouse{FIASHouseGUID: exportHouse, HouseGUID: g(100), UniqueNumber: "1234567890123456789012345-00001",
				Premises: []model.GISPremises{
					{Number: "1", GUID: g(1), Residential: true}, {Number: " 2", GUID: g(2), Residential: true},
					{Number: "1", GUID: g(11)}, // non-residential «1»: our residential 1 takes the residential one
					{Number: "7", GUID: g(7), Residential: true},
				}})
		}, store.GISExportResult{Received: 4, Matched: 2, Missing: 1, MissingLabels: []string{"3"}, Unknown: 2, UnknownLabels: []string{"1", "7"}}},
		{"accounts", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISAccounts(ctx, tx, org, exportHouse, []model.GISExportedAccount{
				{GUID: g(201), Number: "10000", ELS: "10АБ000001", ServiceID: "10АБ000001-01"},
				{GUID: g(299), Number: "99999", ELS: "10АБ000099"},
			})
		}, store.GISExportResult{Received: 2, Matched: 1, Missing: 2, MissingLabels: []string{"10001", "10002"}, Unknown: 1, UnknownLabels: []string{"99999"}}},
		{"meters", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISMeters(ctx, tx, org, exportHouse, []model.GISExportedMeter{
				{RootGUID: g(301), VersionGUID: g(311), Number: "ХВ-10000", Resource: "cold_water"},
				{RootGUID: g(302), VersionGUID: g(312), Number: "ХВ-10001", Resource: "hot_water"}, // another resource: not ours
			})
		}, store.GISExportResult{Received: 2, Matched: 1, Missing: 2, MissingLabels: []string{"ХВ-10001", "ХВ-10002"}, Unknown: 1, UnknownLabels: []string{"ХВ-10001"}}},
		{"documents", func(tx pgx.Tx) (store.GISExportResult, error) {
			return store.ApplyGISDocuments(ctx, tx, org, period, []string{g(201)}, []model.GISExportedDocument{
				{PaymentDocumentID: "12АБ345678-01-6101", Number: "2026-10-10000", AccountGUID: g(201)},
			})
		}, store.GISExportResult{Received: 1, Matched: 1, MissingLabels: []string{}, UnknownLabels: []string{}}},
	}
	for _, s := range steps {
		for run := 1; run <= 2; run++ {
			var got store.GISExportResult
			if err := inTx(t, db, func(tx pgx.Tx) error {
				var err error
				got, err = s.apply(tx)
				return err
			}); err != nil {
				t.Fatalf("%s run %d: %v", s.name, run, err)
			}
			if !reflect.DeepEqual(got, s.want) {
				t.Errorf("%s run %d: %+v, want %+v", s.name, run, got, s.want)
			}
		}
	}

	var ppa, root, house, p1, p2, acc, els, zhku, meterRoot, docID, docState string
	var p3 *string
	err := db.QueryRow(ctx, `
		SELECT o.gis_org_ppa_guid::text, o.gis_org_root_guid::text, h.gis_house_guid::text,
			(SELECT gis_premises_guid::text FROM premises WHERE house_id = h.id AND number = '1'),
			(SELECT gis_premises_guid::text FROM premises WHERE house_id = h.id AND number = '2'),
			(SELECT gis_premises_guid::text FROM premises WHERE house_id = h.id AND number = '3'),
			a.gis_account_guid::text, a.els, a.zhku_id, m.gis_meter_root_guid::text, d.gis_payment_document_id, d.state
		FROM organizations o JOIN houses h ON h.org_id = o.id JOIN accounts a ON a.id = $2
		JOIN meters m ON m.account_id = a.id JOIN payment_documents d ON d.account_id = a.id
		WHERE o.id = $1`, org, accs[0]).Scan(&ppa, &root, &house, &p1, &p2, &p3, &acc, &els, &zhku, &meterRoot, &docID, &docState)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{ppa, root, house, p1, p2, p3, acc, els, zhku, meterRoot, docID, docState}
	want := []any{"6d2f5e3a-1b2c-4d5e-8f90-123456789abc", g(900), g(100), g(1), g(2), (*string)(nil), g(201), "10АБ000001", "10АБ000001-01", g(301), "12АБ345678-01-6101", "posted"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("store after exports:\n got %v\nwant %v", got, want)
	}
	if r := (store.GISExportResult{Missing: 1, MissingLabels: []string{"3"}, Unknown: 2, UnknownLabels: []string{"1", "7"}}).Report("premises not in GIS", "GIS premises not in the store"); r != "premises not in GIS: 1 (3); GIS premises not in the store: 2 (1, 7)" {
		t.Errorf("Report = %q", r)
	}
}

// TestGISPayerOrgs: an organisation paying an account is looked up in the
// GIS registry with the centre's own organisations, and the version GUID
// GIS answers reaches the account, which is then sent with it.
func TestGISPayerOrgs(t *testing.T) {
	db := testdb.New(t)
	ctx := context.Background()
	org, accs := gisSeed(t, db, 2)
	if _, err := db.Exec(ctx, `UPDATE organizations SET ogrn = '1115902000123', kpp = '590201001' WHERE id = $1`, org); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, `UPDATE accounts SET payer_kind = 'organization', payer_name = 'ООО «Ромашка»',
		payer_ogrn = '1027700132195', payer_kpp = '770401001' WHERE id = $1`, accs[1]); err != nil {
		t.Fatal(err)
	}
	rows, err := store.GISOrgsToExport(ctx, db, org)
	if err != nil {
		t.Fatal(err)
	}
	want := []model.GISOrgRow{{ID: org, OGRN: "1115902000123", KPP: "590201001"}, {ID: 0, OGRN: "1027700132195", KPP: "770401001"}}
	if !reflect.DeepEqual(rows, want) {
		t.Fatalf("orgs to export = %+v, want %+v", rows, want)
	}
	const ver = "a0b1c2d3-e4f5-4a6b-8c7d-000000000911"
	answer := []model.GISOrg{
		{RootGUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000900", VersionGUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000901", OGRN: "1115902000123", KPP: "590201001"},
		{RootGUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000910", VersionGUID: ver, OGRN: "1027700132195", KPP: "770401001"},
		{RootGUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000920", VersionGUID: "a0b1c2d3-e4f5-4a6b-8c7d-000000000921", OGRN: "1037700000001"},
	}
	for run := 1; run <= 2; run++ {
		tx, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		r, err := store.ApplyGISOrgs(ctx, tx, answer)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if r.Received != 3 || r.Matched != 2 || r.Unknown != 1 || !reflect.DeepEqual(r.UnknownLabels, []string{"1037700000001/"}) {
			t.Errorf("run %d: result %+v, want 3 received, 2 matched (the centre and the payer), 1 unknown", run, r)
		}
	}
	if rows, err := store.GISOrgsToExport(ctx, db, org); err != nil || len(rows) != 1 {
		t.Errorf("after the answer, orgs to export = %+v, %v; want only the centre", rows, err)
	}
	sent, err := store.GISAccountsToSend(ctx, db, org, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(sent) != 2 || sent[1].PayerOrgVersionGUID == nil || *sent[1].PayerOrgVersionGUID != ver || *sent[1].PayerOGRN != "1027700132195" {
		t.Errorf("accounts to send: %+v; want the second with the payer's version %s", sent, ver)
	}
}
