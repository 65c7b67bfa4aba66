package gisexchange

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/gistest"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
)

// TestReadingsImport: the readings-import subject plans the newest trusted reading residents sent
// of each meter GIS holds and is in service — not a flagged one, not an older one, not one of a
// retired meter or of a meter GIS does not hold, not one already confirmed — and builds an
// importMeteringDeviceValues the simulator accepts: it checks every request against the official
// XSD and the signature, and answers per item.
func TestReadingsImport(t *testing.T) {
	ctx := context.Background()
	db := testdb.New(t)
	if _, err := db.Exec(ctx, `
		INSERT INTO organizations (id, name, inn, role, gis_org_ppa_guid) VALUES (1, 'РЦ', '7720999999', 'settlement', gen_random_uuid());
		INSERT INTO houses (id, org_id, address, fias_house_guid) VALUES (1, 1, 'ул. Примерная, 1', gen_random_uuid());
		INSERT INTO premises (id, house_id, number, gis_premises_guid) VALUES (1, 1, '1', gen_random_uuid());
		INSERT INTO accounts (id, org_id, premises_id, number, payer_name, total_area, residents_count, opened_on)
			VALUES (1, 1, 1, '1001', 'Иванов Иван Иванович', 54.3, 2, '2020-01-01');
		INSERT INTO meters (id, premises_id, account_id, number, resource, gis_meter_root_guid, retired_on) VALUES
			(1, 1, 1, 'M1', 'cold_water', '00000000-0000-4000-8000-000000000101', NULL),
			(2, 1, 1, 'M2', 'hot_water', '00000000-0000-4000-8000-000000000102', NULL),
			(3, 1, 1, 'M3', 'electricity', '00000000-0000-4000-8000-000000000103', '2026-09-01'),
			(4, 1, 1, 'M4', 'gas', NULL, NULL),
			(5, 1, 1, 'M5', 'heat', '00000000-0000-4000-8000-000000000105', NULL);
		INSERT INTO readings (id, meter_id, taken_on, value, source, flag) VALUES
			(1, 1, '2026-09-20', 10.5, 'resident', ''),
			(2, 1, '2026-10-20', 12.25, 'resident', ''),
			(3, 1, '2026-10-21', 13, 'bank', ''),
			(4, 2, '2026-10-20', 5, 'resident', 'contradicts'),
			(5, 3, '2026-10-20', 7, 'resident', ''),
			(6, 4, '2026-10-20', 8, 'resident', ''),
			(7, 5, '2026-10-20', 9, 'resident', '')`); err != nil {
		t.Fatal(err)
	}
	env := gistest.Start(t, gistest.Options{})
	x, err := New(Config{}, Deps{Builder: env.Builder, Client: env.Client})
	if err != nil {
		t.Fatal(err)
	}
	// Reading 7 was confirmed by an earlier exchange: it is not sent again.
	if _, err := db.Exec(ctx, `
		INSERT INTO gis_messages (id, org_id, kind, service, operation, state) VALUES (1, 1, 'readings-import', 'device-metering', 'importMeteringDeviceValues', 'done');
		INSERT INTO gis_items (transport_guid, message_id, object_kind, object_id, state) VALUES (gen_random_uuid(), 1, 'reading', 7, 'ok')`); err != nil {
		t.Fatal(err)
	}
	plans, err := x.Plan(ctx, db, Scope{OrgID: 1, What: ReadingsImport})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 1 || len(plans[0].Items) != 1 {
		t.Fatalf("plans = %+v; want one message with one item", plans)
	}
	m, it := plans[0].Message, plans[0].Items[0]
	if m.Kind != string(ReadingsImport) || m.Operation != giszhkh.OpImportMeteringDeviceValues || it.ObjectKind != "reading" || it.ObjectID != 2 {
		t.Errorf("message %s/%s, item %s %d; want readings-import/importMeteringDeviceValues, reading 2", m.Kind, m.Operation, it.ObjectKind, it.ObjectID)
	}
	var r giszhkh.Reading
	if err := json.Unmarshal(it.Payload, &r); err != nil {
		t.Fatal(err)
	}
	if r.RootGUID != "00000000-0000-4000-8000-000000000101" || r.Value != "12.25" || !r.Date.Equal(time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)) ||
		r.TransportGUID != it.TransportGUID || r.Resource.Code == "" {
		t.Errorf("payload %+v", r)
	}

	org, err := Org(ctx, db, 1, giszhkh.ServiceDeviceMetering, giszhkh.OpImportMeteringDeviceValues)
	if err != nil {
		t.Fatal(err)
	}
	req, err := x.Build(ctx, org, m, plans[0].Items)
	if err != nil {
		t.Fatal(err)
	}
	ack, _, err := env.Client.Send(ctx, req)
	if err != nil {
		t.Fatalf("the simulator refused the request (schema or signature): %v", err)
	}
	var st *giszhkh.State
	for range 10 {
		q, err := env.Builder.GetState(giszhkh.ServiceDeviceMetering, org, ack.MessageGUID)
		if err != nil {
			t.Fatal(err)
		}
		if st, _, err = env.Client.GetState(ctx, q); err != nil {
			t.Fatal(err)
		}
		if st.RequestState == 3 {
			break
		}
	}
	if st.RequestState != 3 || st.Error != nil || len(st.Results) != 1 || st.Results[0].TransportGUID != it.TransportGUID {
		t.Errorf("state %+v; want one per-item result for %s", st, it.TransportGUID)
	}
}
