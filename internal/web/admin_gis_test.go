package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/store"
	"github.com/zhkhgate/zhkhgate/internal/testdb"
	"github.com/zhkhgate/zhkhgate/jobs"
)

func TestGISConsole(t *testing.T) {
	ctx := context.Background()
	pool := testdb.New(t)
	jc, err := jobs.NewInsertClient(jobs.Deps{Pool: pool, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	b := newTestServer(t, pool, jc, "operator")
	var accountID int64
	if err := pool.QueryRow(ctx, `
		WITH o AS (INSERT INTO organizations (name, inn, role, gis_org_ppa_guid) VALUES ('РЦ', '7720999999', 'settlement', gen_random_uuid()) RETURNING id),
		h AS (INSERT INTO houses (org_id, address, fias_house_guid) SELECT id, 'ул. Примерная, 1', gen_random_uuid() FROM o RETURNING id, org_id),
		p AS (INSERT INTO premises (house_id, number) SELECT id, '12' FROM h RETURNING id)
		INSERT INTO accounts (org_id, premises_id, number, opened_on) SELECT (SELECT org_id FROM h), p.id, '1002003004', '2020-01-01' FROM p
		RETURNING id`).Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	var msgID int64
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		msgID, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: 1, Kind: "accounts", Service: "house-management", Operation: "importAccountData"},
			[]store.GISItem{{TransportGUID: "00000000-0000-4000-8000-000000000001", ObjectKind: "account", ObjectID: accountID}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkGISSending(ctx, pool, msgID, "00000000-0000-4000-8000-0000000000aa", `<soapenv:Envelope><b:x>&lt;script&gt;</b:x></soapenv:Envelope>`); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkGISStopped(ctx, pool, msgID, "AUT011003", "Доступ запрещен для поставщика данных"); err != nil {
		t.Fatal(err)
	}

	// An export reports what it could not match; the console shows it.
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		id, err := store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: 1, Kind: string(gisexchange.Houses), Service: "house-management", Operation: "exportHouseData"}, nil)
		if err != nil {
			return err
		}
		r := store.GISExportResult{Received: 1, Missing: 1, MissingLabels: []string{"12"}, Unknown: 1, UnknownLabels: []string{"7"}}
		return store.FinishGISExportReport(ctx, tx, id, "", r, r.Report("premises not in GIS", "GIS premises not in the store"))
	}); err != nil {
		t.Fatal(err)
	}

	if _, body := b.get(t, "/admin/gis"); strings.Contains(body, "Обмен с ГИС ЖКХ") {
		t.Fatal("/admin/gis shown without login")
	}
	code, body := b.post(t, "/admin/login", url.Values{"login": {"operator"}, "password": {"correct horse"}, "next": {"/admin/gis?org=1&period=2026-10"}})
	if code != http.StatusOK || !strings.Contains(body, "Обмен с ГИС ЖКХ") {
		t.Fatalf("login → /admin/gis = %d: %.300s", code, body)
	}
	for _, want := range []string{"importAccountData", "остановлено", "AUT011003", "Доступ запрещён для поставщика данных", "Что делать:",
		"1002003004", "ошибка", "Не подтверждено ГИС ЖКХ за 2026-10",
		"exportHouseData", "premises not in GIS: 1 (12); GIS premises not in the store: 1 (7)"} {
		if !strings.Contains(body, want) {
			t.Errorf("/admin/gis lacks %q", want)
		}
	}
	csrf := csrfRe.FindStringSubmatch(body)[1]
	code, body = b.get(t, "/admin/gis/messages/1")
	if code != http.StatusOK || !strings.Contains(body, "&lt;soapenv:Envelope&gt;") || strings.Contains(body, "<b:x>") {
		t.Errorf("message page = %d, XML must be shown escaped: %.400s", code, body)
	}
	code, body = b.post(t, "/admin/gis/messages/1/retry", url.Values{"csrf_token": {csrf}})
	if code != http.StatusOK || !strings.Contains(body, "новая синхронизация «лицевые счета»") {
		t.Errorf("retry = %d: %.300s", code, body)
	}
	var queued int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'gis_sync'`).Scan(&queued); err != nil || queued != 1 {
		t.Errorf("gis_sync jobs queued: %d, %v", queued, err)
	}
	if code, _ := b.get(t, "/admin/gis?period=oct"); code != http.StatusBadRequest {
		t.Errorf("bad period = %d, want 400", code)
	}
}
