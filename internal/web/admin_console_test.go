package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/gisexchange"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// consoleSeed makes an organization, a house with two accounts (one with
// GIS identifiers, a meter, a reading, a document, a payment and a linked
// resident), and a meters message whose two items GIS refused.
func consoleSeed(t *testing.T, pool *pgxpool.Pool) (accountID int64, msgID int64, guids []string) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO organizations (id, name, short_name, inn, role, gis_org_ppa_guid) VALUES (1, 'Общество с ограниченной ответственностью «Расчётный центр Прикамья»', 'РЦ Прикамья', '5902000001', 'settlement', gen_random_uuid())`,
		`INSERT INTO houses (id, org_id, address, fias_house_guid) VALUES (1, 1, 'г. Пермь, ул. Куйбышева, д. 95', gen_random_uuid())`,
		`INSERT INTO premises (id, house_id, number, gis_premises_guid) VALUES (1, 1, '12', gen_random_uuid()), (2, 1, '13', NULL)`,
		`INSERT INTO accounts (id, org_id, premises_id, number, els, zhku_id, payer_name, opened_on, gis_account_guid)
			VALUES (1, 1, 1, '1002003004', '00АБ123456', '00АБ123456-01', 'Кузнецова Мария Ивановна', '2020-01-01', gen_random_uuid()),
			       (2, 1, 2, '1002003005', NULL, NULL, 'Кузнецов Пётр Ильич', '2020-01-01', NULL)`,
		`INSERT INTO meters (id, premises_id, account_id, number, resource) VALUES (1, 1, 1, 'ХВ-778', 'cold_water'), (2, 1, 1, 'ГВ-779', 'hot_water')`,
		`INSERT INTO readings (meter_id, taken_on, value, source, flag) VALUES (1, '2026-09-20', 123.5, 'resident', ''), (1, '2026-09-25', 100, 'bank', 'contradicts')`,
		`INSERT INTO payment_documents (account_id, period, number, total_due, state) VALUES (1, '2026-09-01', 'ПД-1', 451237, 'posted')`,
		`INSERT INTO payments (source, operation_id, operation_date, account_id, amount) VALUES ('sberbank', 'OP-77', '2026-10-05', 1, 451237)`,
		`INSERT INTO residents (id, last_name, first_name, middle_name, email, phone) VALUES (1, 'Кузнецова', 'Мария', 'Ивановна', 'maria@example.ru', '+7 912 555-44-33')`,
		`INSERT INTO resident_accounts (resident_id, account_id, verified_at, is_main) VALUES (1, 1, now(), true)`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	guids = []string{"00000000-0000-4000-8000-000000000011", "00000000-0000-4000-8000-000000000012"}
	if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) (err error) {
		msgID, err = store.CreateGISMessage(ctx, tx, store.GISMessage{OrgID: 1, Kind: "meters", Service: "device-metering", Operation: "importMeteringDeviceData"},
			[]store.GISItem{{TransportGUID: guids[0], ObjectKind: "meter", ObjectID: 1}, {TransportGUID: guids[1], ObjectKind: "meter", ObjectID: 2}})
		if err != nil {
			return err
		}
		if err := store.ApplyGISResults(ctx, tx, msgID, "<done/>", []model.GISItemResult{
			{TransportGUID: guids[0], ErrorCode: "INT004132", Error: "Прибор учета с заводским номером ХВ-778 уже размещен"},
			{TransportGUID: guids[1], ErrorCode: "INT002034", Error: "Помещение не найдено"}}); err != nil {
			return err
		}
		codes, kinds, waits := gisexchange.PrerequisiteCodes()
		_, err = store.HoldGISForPrerequisites(ctx, tx, msgID, codes, kinds, waits)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return 1, msgID, guids
}

func TestSearchAndAccountPage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	consoleSeed(t, b.pool)
	c := b.loginAs(t, "admin")
	// One account found: its page opens.
	code, body := c.get(t, "/admin/search?q="+url.QueryEscape("1002003004"))
	if code != http.StatusOK || !strings.Contains(body, "Лицевой счёт 1002003004") {
		t.Fatalf("search by number = %d: %.500s", code, body)
	}
	for _, want := range []string{"00АБ123456-01", "Кузнецова Мария Ивановна", "г. Пермь, ул. Куйбышева, д. 95, кв. 12", "ХВ-778",
		"противоречит истории", "банк", "ПД-1", "4\u00a0512,37", "OP-77", "maria@example.ru", "основной счёт",
		"Объект уже размещён в ГИС ЖКХ", "Что делать:", "/admin/gis/messages/1"} {
		if !strings.Contains(body, want) {
			t.Errorf("account page lacks %q", want)
		}
	}
	// Several: a list of accounts and residents.
	code, body = c.get(t, "/admin/search?q="+url.QueryEscape("кузнецов"))
	if code != http.StatusOK || !strings.Contains(body, "Лицевые счета (2)") || !strings.Contains(body, "Жители (1)") {
		t.Errorf("search by name = %d: %.800s", code, body)
	}
	for q, want := range map[string]string{"maria@ex": "Жители (1)", "8 912 555 44 33": "Жители (1)", "Куйбышева 95 кв 13": "Лицевой счёт 1002003005",
		"00аб123456": "Лицевой счёт 1002003004", "нет такого": "Счетов не найдено"} {
		if code, body := c.get(t, "/admin/search?q="+url.QueryEscape(q)); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("search %q = %d, lacks %q", q, code, want)
		}
	}
	if code, _ := c.get(t, "/admin/accounts/999"); code != http.StatusNotFound {
		t.Errorf("unknown account = %d, want 404", code)
	}
	if code, _ := c.get(t, "/admin/search?q="+strings.Repeat("я", 101)); code != http.StatusBadRequest {
		t.Errorf("a long query = %d, want 400", code)
	}
}

// TestReleaseHeldItems: one held item is released and only its sync queued;
// then the rest of a class.
func TestReleaseHeldItems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, msgID, guids := consoleSeed(t, b.pool)
	c := b.loginAs(t, "admin")
	csrf := c.csrfToken(t)
	code, body := c.get(t, "/admin/gis/messages/1")
	for _, want := range []string{"Бизнес-правило ГИС ЖКХ", "Отпустить все", "/admin/gis/items/" + guids[0] + "/release", "ждёт: помещение"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("message page = %d, lacks %q", code, want)
		}
	}
	if strings.Contains(body, "ErrorCode=") {
		t.Error("a raw error is shown")
	}
	states := func() []store.ItemState {
		t.Helper()
		_, items, err := store.GetGISMessage(context.Background(), b.pool, msgID)
		if err != nil {
			t.Fatal(err)
		}
		var s []store.ItemState
		for _, it := range items {
			s = append(s, it.State)
		}
		return s
	}
	jobsQueued := func() int {
		var n int
		if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM river_job WHERE kind = 'gis_sync' AND args->>'what' = 'meters'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	code, body = c.post(t, "/admin/gis/items/"+guids[0]+"/release", url.Values{"csrf_token": {csrf}})
	if code != http.StatusOK || !strings.Contains(body, "Отпущено объектов: 1") {
		t.Fatalf("release one = %d: %.400s", code, body)
	}
	if s := states(); s[0] != store.ItemFailed || s[1] != store.ItemHeld || jobsQueued() != 1 {
		t.Errorf("after releasing one: %v, %d syncs; want failed/held and one sync", s, jobsQueued())
	}
	if code, _ := c.post(t, "/admin/gis/items/"+guids[0]+"/release", url.Values{"csrf_token": {csrf}}); code != http.StatusConflict {
		t.Errorf("release twice = %d, want 409", code)
	}
	if code, _ := c.post(t, "/admin/gis/messages/1/release", url.Values{"csrf_token": {csrf}, "class": {"nonsense"}}); code != http.StatusBadRequest {
		t.Errorf("unknown class = %d, want 400", code)
	}
	if code, _ := c.post(t, "/admin/gis/messages/1/release", url.Values{"csrf_token": {csrf}, "class": {"business"}}); code != http.StatusOK {
		t.Errorf("release class = %d", code)
	}
	// The same sync is still queued: River's unique job takes both releases.
	if s := states(); s[1] != store.ItemFailed || jobsQueued() != 1 {
		t.Errorf("after releasing the class: %v, %d syncs", s, jobsQueued())
	}
	var audited int
	if err := b.pool.QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'gis.release'`).Scan(&audited); err != nil || audited != 2 {
		t.Errorf("audited releases: %d, %v", audited, err)
	}
}

func TestStaffManagement(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	c := b.loginAs(t, "admin")
	csrf := c.csrfToken(t)
	if code, body := c.post(t, "/admin/staff", url.Values{"csrf_token": {csrf}, "login": {"ivanova"}, "role": {"operator"}, "password": {"12345678"}}); code != http.StatusBadRequest || !strings.Contains(body, "пароль не подходит") {
		t.Errorf("weak password = %d: %.300s", code, body)
	}
	if code, _ := c.post(t, "/admin/staff", url.Values{"csrf_token": {csrf}, "login": {"ivanova"}, "role": {"root"}, "password": {"Ветер-с-Камы-2026"}}); code != http.StatusBadRequest {
		t.Errorf("unknown role = %d", code)
	}
	code, body := c.post(t, "/admin/staff", url.Values{"csrf_token": {csrf}, "login": {"ivanova"}, "role": {"operator"}, "password": {"Ветер-с-Камы-2026"}})
	if code != http.StatusOK || !strings.Contains(body, "Сотрудник ivanova создан") {
		t.Fatalf("create = %d: %.300s", code, body)
	}
	if code, _ := c.post(t, "/admin/staff", url.Values{"csrf_token": {csrf}, "login": {"ivanova"}, "role": {"operator"}, "password": {"Ветер-с-Камы-2026"}}); code != http.StatusConflict {
		t.Errorf("taken login = %d", code)
	}
	iv, err := store.StaffUserByLogin(ctx, b.pool, "ivanova")
	if err != nil {
		t.Fatal(err)
	}
	me, _ := store.StaffUserByLogin(ctx, b.pool, "admin")
	id := func(u store.StaffUser) string { return "/admin/staff/" + strconv.FormatInt(u.ID, 10) }
	// The operator logs in, then is promoted; nobody demotes themselves.
	ivc := newClient(b)
	if code, _ := ivc.post(t, "/admin/login", url.Values{"login": {"ivanova"}, "password": {"Ветер-с-Камы-2026"}}); code != http.StatusOK {
		t.Fatalf("ivanova login = %d", code)
	}
	if code, _ := ivc.get(t, "/admin/staff"); code != http.StatusForbidden {
		t.Errorf("operator reads staff = %d, want 403", code)
	}
	if code, _ := c.post(t, id(iv)+"/role", url.Values{"csrf_token": {csrf}, "role": {"admin"}}); code != http.StatusOK {
		t.Errorf("promote = %d", code)
	}
	if code, body := c.post(t, id(me)+"/role", url.Values{"csrf_token": {csrf}, "role": {"operator"}}); code != http.StatusConflict || !strings.Contains(body, "собственную роль") {
		t.Errorf("demote oneself = %d", code)
	}
	if u, _ := store.StaffUserByLogin(ctx, b.pool, "admin"); u.Role != "admin" {
		t.Errorf("admin's role is %s", u.Role)
	}
	if code, _ := c.post(t, id(me)+"/block", url.Values{"csrf_token": {csrf}, "block": {"1"}}); code != http.StatusConflict {
		t.Errorf("block oneself = %d", code)
	}
	// Blocking ends her sessions; a reset password is checked by the policy.
	if code, _ := c.post(t, id(iv)+"/block", url.Values{"csrf_token": {csrf}, "block": {"1"}}); code != http.StatusOK {
		t.Errorf("block = %d", code)
	}
	if code, body := ivc.get(t, "/admin/"); code != http.StatusOK || !strings.Contains(body, "Вход для сотрудников") {
		t.Errorf("blocked user's session still works: %d", code)
	}
	if code, _ := c.post(t, id(iv)+"/password", url.Values{"csrf_token": {csrf}, "password": {"ivanova12"}}); code != http.StatusBadRequest {
		t.Errorf("password with the login = %d", code)
	}
	if code, _ := c.post(t, id(iv)+"/password", url.Values{"csrf_token": {csrf}, "password": {"Снег-над-Пермью-7"}}); code != http.StatusOK {
		t.Errorf("reset = %d", code)
	}
	if code, _ := c.post(t, id(iv)+"/block", url.Values{"csrf_token": {csrf}, "block": {"0"}}); code != http.StatusOK {
		t.Errorf("unblock = %d", code)
	}
	if code, body := ivc.post(t, "/admin/login", url.Values{"login": {"ivanova"}, "password": {"Снег-над-Пермью-7"}}); code != http.StatusOK || !strings.Contains(body, "Сотрудники") {
		t.Errorf("login with the new password = %d", code)
	}
	var actions []string
	rows, _ := b.pool.Query(ctx, `SELECT action FROM audit_log WHERE object_kind = 'staff_user' AND action <> 'staff.login' ORDER BY id`)
	actions, _ = pgx.CollectRows(rows, pgx.RowTo[string])
	if strings.Join(actions, ",") != "staff.create,staff.role,staff.block,staff.password_reset,staff.unblock" {
		t.Errorf("audited %v", actions)
	}
}

// newClient is a second browser (its own cookies) on b's server.
func newClient(b *testBundle) *testBundle {
	jar, _ := cookiejar.New(nil)
	return &testBundle{server: b.server, srv: b.srv, client: &http.Client{Jar: jar}, pool: b.pool}
}
