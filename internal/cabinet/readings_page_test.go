package cabinet_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// linked logs oid in through ESIA, links hint h by surname and returns the browser and the
// account's id.
func (e *env) linked(oid int64, h store.AccountHint) (*browser, int64) {
	e.t.Helper()
	b := e.browser()
	b.esiaLogin(oid)
	if r := b.postFollow("/accounts/link", e.linkForm(h, "surname", h.Surname)); !strings.Contains(r.body, "Лицевой счёт привязан") {
		e.t.Fatalf("link %s: HTTP %d", h.Number, r.status)
	}
	p, err := store.FindAccountForProof(context.Background(), e.pool, h.Number, h.HouseID, h.Flat)
	if err != nil {
		e.t.Fatal(err)
	}
	return b, p.AccountID
}

func (e *env) cards(account int64) []store.MeterCard {
	e.t.Helper()
	cards, err := store.MeterCards(context.Background(), e.pool, account)
	if err != nil || len(cards) == 0 {
		e.t.Fatalf("meters of %d: %v %v", account, cards, err)
	}
	return cards
}

// plus is a reading n above m's last, as a resident types it.
func plus(m store.MeterCard, n int64) string {
	v := *m.LastValue
	for ; v.Scale > 0; v.Scale-- {
		v.Units /= 10
	}
	return itoa(v.Units + n)
}

var alertRe = regexp.MustCompile(`role="alert">([^<]*)`)

func alerts(body string) []string {
	var out []string
	for _, m := range alertRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestAccountReadings: every meter in one form with its last reading and average; a wrong value
// stores nothing of the form; one far above the average asks to confirm and is stored only
// then; the value or the consumption may be given.
func TestAccountReadings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b, acc := e.linked(ivanov, e.hint[0])
	path := "/accounts/" + itoa(acc) + "/readings"
	cards := e.cards(acc)
	page := b.get(path)
	if page.status != 200 || strings.Count(page.body, `<fieldset class="meter`) != len(cards) || !strings.Contains(page.body, "в среднем") ||
		!strings.Contains(page.body, "с 15 по 25 число") {
		t.Fatalf("form: HTTP %d\n%.3000s", page.status, page.body)
	}
	today := time.Now().UTC()
	date := time.Date(today.Year(), today.Month(), 20, 0, 0, 0, 0, time.UTC)

	// A reading lower than the last one: 400, the meter's error, nothing stored (not even the good one).
	form := url.Values{"date": {date.Format("2006-01-02")},
		"value_" + itoa(cards[0].MeterID): {plus(cards[0], 1)}, "value_" + itoa(cards[1].MeterID): {"0"}}
	r := b.post(path, form)
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "меньше предыдущего") {
		t.Errorf("lower reading: HTTP %d %v", r.status, alerts(r.body))
	}
	if got := e.cards(acc); got[0].LastValue.String() != cards[0].LastValue.String() {
		t.Errorf("a refused form stored %v", got[0].LastValue)
	}

	// Far above the average: shown again with «Подтверждаю», nothing stored yet.
	form = url.Values{"date": {date.Format("2006-01-02")},
		"value_" + itoa(cards[0].MeterID): {plus(cards[0], 1)}, "value_" + itoa(cards[1].MeterID): {plus(cards[1], 5000)}}
	r = b.post(path, form)
	if r.status != 200 || !strings.Contains(r.body, `id="confirm"`) || !strings.Contains(r.body, "больше обычного более чем в 3 раза") {
		t.Fatalf("far above the average: HTTP %d %v", r.status, alerts(r.body))
	}
	if got := e.cards(acc); got[1].LastValue.String() != cards[1].LastValue.String() {
		t.Errorf("an unconfirmed reading was stored: %v", got[1].LastValue)
	}
	// Confirmed, with the third meter's consumption instead of its value.
	form.Set("confirm", "on")
	form.Set("use_"+itoa(cards[2].MeterID), "2,5")
	r = b.postFollow(path, form)
	if !strings.Contains(r.body, "Показания приняты") {
		t.Fatalf("confirmed: HTTP %d %v", r.status, alerts(r.body))
	}
	got := e.cards(acc)
	wantThird := *cards[2].LastValue
	wantThird.Units += 25 * pow10(wantThird.Scale-1)
	for i, want := range []string{plus(cards[0], 1), plus(cards[1], 5000)} {
		if whole, _, _ := strings.Cut(got[i].LastValue.String(), "."); whole != want || !got[i].LastTakenOn.Equal(date) {
			t.Errorf("meter %d: %v on %v, want %s on %v", i, got[i].LastValue, got[i].LastTakenOn, want, date)
		}
	}
	if got[2].LastValue.String() != wantThird.String() {
		t.Errorf("by consumption: %v, want %v", got[2].LastValue, wantThird)
	}
	// The history lists it, the newest first, with the consumption.
	h := b.get("/accounts/" + itoa(acc) + "/meters/" + itoa(cards[2].MeterID) + "/history")
	if h.status != 200 || !strings.Contains(h.body, "<td>2,5</td>") || !strings.Contains(h.body, `<svg id="chart"`) {
		t.Errorf("history: HTTP %d\n%.2000s", h.status, h.body)
	}
	// An empty form says so.
	if r := b.post(path, url.Values{"date": {date.Format("2006-01-02")}}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "Введите показание или расход хотя бы одного счётчика.") {
		t.Errorf("empty form: HTTP %d %v", r.status, alerts(r.body))
	}
}

func pow10(n int32) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// TestReadingWindowAndClock: outside the organization's window the form refuses, inside it
// takes; the organization's setting counts, and the clock is the injected one.
func TestReadingWindowAndClock(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	day10 := time.Date(now.Year(), now.Month(), 10, 12, 0, 0, 0, time.UTC)
	shift := day10.Sub(now)
	e := newEnv(t, options{now: func() time.Time { return time.Now().Add(shift) }})
	b, acc := e.linked(ivanov, e.hint[0])
	cards := e.cards(acc)
	path := "/accounts/" + itoa(acc) + "/readings"
	b.get(path)
	form := url.Values{"value_" + itoa(cards[0].MeterID): {plus(cards[0], 1)}}
	if r := b.post(path, form); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "Показания принимаются с 15 по 25 число месяца, сегодня 10-е.") {
		t.Errorf("day 10 in a 15–25 window: HTTP %d %v", r.status, alerts(r.body))
	}
	if _, err := e.pool.Exec(context.Background(), `UPDATE organizations SET reading_window_from = 1, reading_window_to = 10`); err != nil {
		t.Fatal(err)
	}
	if r := b.postFollow(path, form); !strings.Contains(r.body, "Показания приняты") {
		t.Errorf("day 10 in a 1–10 window: HTTP %d %v", r.status, alerts(r.body))
	}
	if got := e.cards(acc)[0]; !got.LastTakenOn.Equal(time.Date(now.Year(), now.Month(), 10, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("stored on %v, want the injected clock's day", got.LastTakenOn)
	}
}

// TestAnotherResidentsMeters: another resident's account or meter in a URL or a form gives no
// data and stores nothing.
func TestAnotherResidentsMeters(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	_, own := e.linked(ivanov, e.hint[0])
	stranger, strangerAcc := e.linked(1000299655, e.hint[1])
	ownCards := e.cards(own)
	m := itoa(ownCards[0].MeterID)
	for _, p := range []string{"/accounts/" + itoa(own) + "/readings", "/accounts/" + itoa(own) + "/meters",
		"/accounts/" + itoa(own) + "/meters/" + m + "/history", "/accounts/" + itoa(strangerAcc) + "/meters/" + m + "/history",
		"/accounts/" + itoa(own) + "/unlink"} {
		r := stranger.get(p)
		if r.status != http.StatusNotFound || strings.Contains(r.body, ownCards[0].Number) || strings.Contains(r.body, e.hint[0].Number) {
			t.Errorf("GET %s as another resident: HTTP %d", p, r.status)
		}
	}
	stranger.get("/accounts/" + itoa(strangerAcc) + "/readings")
	// Own account's form with the other's meter: the meter is not in the form, nothing is stored.
	r := stranger.post("/accounts/"+itoa(strangerAcc)+"/readings", url.Values{"value_" + m: {plus(ownCards[0], 1)}})
	if r.status != http.StatusBadRequest {
		t.Errorf("another's meter in own form: HTTP %d", r.status)
	}
	r = stranger.post("/accounts/"+itoa(strangerAcc)+"/readings", url.Values{"meter": {m}, "value": {plus(ownCards[0], 1)}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.body, "Выберите счётчик из списка.") {
		t.Errorf("another's meter as the single meter: HTTP %d %v", r.status, alerts(r.body))
	}
	if r := stranger.post("/accounts/"+itoa(own)+"/readings", url.Values{"value_" + m: {plus(ownCards[0], 1)}}); r.status != http.StatusNotFound {
		t.Errorf("POST to another's account: HTTP %d", r.status)
	}
	if got := e.cards(own)[0]; got.LastValue.String() != ownCards[0].LastValue.String() {
		t.Errorf("another resident changed the reading: %v", got.LastValue)
	}
}

// TestMetersPage: each meter's dates, and the verification warnings in plain Russian.
func TestMetersPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b, acc := e.linked(ivanov, e.hint[0])
	cards := e.cards(acc)
	today := time.Date(time.Now().Year(), time.Now().Month(), 20, 0, 0, 0, 0, time.UTC)
	for i, days := range []int{-1, 30, 400} {
		if _, err := e.pool.Exec(context.Background(), `UPDATE meters SET next_verification_on = $2 WHERE id = $1`,
			cards[i].MeterID, today.AddDate(0, 0, days)); err != nil {
			t.Fatal(err)
		}
	}
	r := b.get("/accounts/" + itoa(acc) + "/meters")
	if r.status != 200 || strings.Count(r.body, `class="card ipu`) != 3 {
		t.Fatalf("meters page: HTTP %d", r.status)
	}
	notes := alerts(r.body)
	if len(notes) != 2 || !strings.HasPrefix(notes[0], "Срок поверки истёк") || !strings.HasPrefix(notes[1], "До поверки осталось 30 дней") {
		t.Errorf("notes %q", notes)
	}
	for _, c := range cards {
		if !strings.Contains(r.body, c.Number) || !strings.Contains(r.body, c.InstalledOn.Format("02.01.2006")) {
			t.Errorf("meter %s or its installation date missing", c.Number)
		}
	}
	// The expired meter's reading is refused with the reason.
	path := "/accounts/" + itoa(acc) + "/readings"
	b.get(path)
	if r := b.post(path, url.Values{"value_" + itoa(cards[0].MeterID): {plus(cards[0], 1)}}); r.status != http.StatusBadRequest ||
		!strings.Contains(r.body, "Срок поверки счётчика № "+cards[0].Number+" истёк") {
		t.Errorf("expired meter: HTTP %d %v", r.status, alerts(r.body))
	}
}

// TestHistorySort: the column links sort on the server, both ways.
func TestHistorySort(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b, acc := e.linked(ivanov, e.hint[0])
	m := e.cards(acc)[0]
	base := "/accounts/" + itoa(acc) + "/meters/" + itoa(m.MeterID) + "/history"
	dates := func(q string) []string {
		r := b.get(base + q)
		if r.status != 200 {
			t.Fatalf("%s: HTTP %d", q, r.status)
		}
		return regexp.MustCompile(`<td>(\d\d\.\d\d\.\d{4})</td>`).FindAllString(r.body, -1)
	}
	desc, asc := dates(""), dates("?sort=date&dir=asc")
	if len(desc) < 3 || desc[0] != asc[len(asc)-1] || desc[len(desc)-1] != asc[0] {
		t.Errorf("date desc %v, asc %v", desc, asc)
	}
	// By value ascending is the same as by date ascending for a meter that only grows.
	if byValue := dates("?sort=value&dir=asc"); strings.Join(byValue, ",") != strings.Join(asc, ",") {
		t.Errorf("by value %v, by date %v", byValue, asc)
	}
	r := b.get(base + "?sort=date")
	if !strings.Contains(r.body, `href="`+base+`?dir=asc&amp;sort=date"`) || !strings.Contains(r.body, "Дата ▼") {
		t.Errorf("the sorted column links to the other direction:\n%.2000s", r.body)
	}
	if r := b.get(base + "?sort=nonsense&dir=sideways"); r.status != 200 || !strings.Contains(r.body, "Дата ▼") {
		t.Errorf("unknown sort: HTTP %d", r.status)
	}
}

// TestAnonymousReadings: the house is found by street and number, the proof is the reading the
// last receipt printed, every meter can be sent at once, and a wrong value is explained.
func TestAnonymousReadings(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	ctx := context.Background()
	h := e.hint[2]
	b := e.browser()
	// Street and number as typed from the address, e.g. "Примерная 1".
	words := strings.FieldsFunc(h.Address, func(r rune) bool { return r == ',' })
	street := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(words[len(words)-2]), "ул."))
	number := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(words[len(words)-1]), "д."))
	r := b.get("/readings?" + url.Values{"address": {street + " " + number}}.Encode())
	if r.status != 200 || !strings.Contains(r.body, `value="`+itoa(h.HouseID)+`"`) || strings.Count(r.body, `type="radio"`) > store.HouseSearchLimit {
		t.Fatalf("search %q %q: HTTP %d\n%.3000s", street, number, r.status, r.body)
	}
	if r := b.get("/readings?address=" + url.QueryEscape("Несуществующая 999")); !strings.Contains(r.body, `id="no-houses"`) {
		t.Errorf("unknown address: no message")
	}
	base := url.Values{"number": {h.Number}, "house": {itoa(h.HouseID)}, "flat": {h.Flat}}
	r = b.post("/readings", cloneWith(base, "step", "find"))
	if r.status != 200 || !strings.Contains(r.body, `id="readings-form"`) {
		t.Fatalf("find: HTTP %d %v", r.status, alerts(r.body))
	}
	p, _ := store.FindAccountForProof(ctx, e.pool, h.Number, h.HouseID, h.Flat)
	cards := e.cards(p.AccountID)
	if strings.Contains(r.body, "Последнее показание") || strings.Contains(r.body, "в среднем") {
		t.Error("the anonymous form shows the last reading, which is the proof")
	}
	save := cloneWith(base, "step", "save")
	save.Set("proof_meter", itoa(cards[0].MeterID))
	save.Set("previous", plus(cards[0], 0))
	save.Set("value_"+itoa(cards[1].MeterID), "0")
	if r := b.post("/readings", save); r.status != http.StatusBadRequest || !strings.Contains(r.body, "меньше предыдущего") {
		t.Errorf("lower: HTTP %d %v", r.status, alerts(r.body))
	}
	save.Set("value_"+itoa(cards[1].MeterID), plus(cards[1], 1))
	save.Set("value_"+itoa(cards[0].MeterID), plus(cards[0], 2))
	if r := b.post("/readings", save); r.status != 200 || !strings.Contains(r.body, "Показания приняты") {
		t.Fatalf("save: HTTP %d %v", r.status, alerts(r.body))
	}
	got := e.cards(p.AccountID)
	for i, n := range []int64{2, 1} {
		if whole, _, _ := strings.Cut(got[i].LastValue.String(), "."); whole != plus(cards[i], n) {
			t.Errorf("meter %d: %v, want %s", i, got[i].LastValue, plus(cards[i], n))
		}
	}
	// The receipt still prints the old reading: it remains the proof after the new one.
	save.Set("value_"+itoa(cards[0].MeterID), plus(cards[0], 3))
	save.Del("value_" + itoa(cards[1].MeterID))
	if r := b.post("/readings", save); r.status != 200 {
		t.Errorf("second submission with the receipt's reading: HTTP %d %v", r.status, alerts(r.body))
	}
	// A wrong proof is refused as before.
	save.Set("previous", plus(cards[0], 500))
	if r := b.post("/readings", save); r.status != http.StatusForbidden {
		t.Errorf("wrong proof: HTTP %d", r.status)
	}
}

// TestIdleLogoutReturns: after an idle logout the resident is told why and, logged in again,
// returns to the page they were on; a foreign next is ignored.
func TestIdleLogoutReturns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b, acc := e.linked(ivanov, e.hint[0])
	// Idle for an hour, without sleeping: the session was last seen an hour ago.
	if _, err := e.pool.Exec(context.Background(), `UPDATE sessions SET last_seen_at = now() - interval '1 hour'`); err != nil {
		t.Fatal(err)
	}
	path := "/accounts/" + itoa(acc) + "/meters"
	r := b.get(path)
	if r.status != http.StatusSeeOther || !strings.Contains(r.location, "ok=idle") || !strings.Contains(r.location, url.QueryEscape(path)) {
		t.Fatalf("idle: HTTP %d → %s", r.status, r.location)
	}
	landing := b.follow(r.location)
	if !strings.Contains(landing.body, "Сеанс завершён из-за бездействия") {
		t.Errorf("the landing page does not say why")
	}
	back := b.esiaLogin(ivanov)
	if back.status != 200 || !strings.Contains(back.body, "Информация об ИПУ") {
		t.Errorf("after login: HTTP %d, want the meters page\n%.500s", back.status, back.body)
	}
	// Next time a plain login goes home.
	b.post("/logout", url.Values{})
	if home := b.esiaLogin(ivanov); !strings.Contains(home.body, "Мои лицевые счета") {
		t.Errorf("a later login did not go home")
	}
	// A foreign next is never followed.
	b.post("/logout", url.Values{})
	b.follow("/?next=" + url.QueryEscape("//evil.example/"))
	loc := b.esiaStart(ivanov)
	if r := b.get(loc); r.location != "/" {
		t.Errorf("login after a foreign next → %q, want /", r.location)
	}
	// Without any session cookie, a page goes to the landing page with no notice.
	fresh := e.browser()
	if r := fresh.get(path); r.status != http.StatusSeeOther || r.location != "/" {
		t.Errorf("never logged in: HTTP %d → %s", r.status, r.location)
	}
}

// TestUnlinkAsksAndUnknownPages: unlinking asks first; unknown URLs get the Russian 404 page.
func TestUnlinkAsksAndUnknownPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, options{})
	b, acc := e.linked(ivanov, e.hint[0])
	b.get("/accounts/" + itoa(acc))
	r := b.post("/accounts/"+itoa(acc)+"/unlink", url.Values{})
	if r.status != 200 || !strings.Contains(r.body, "Отвязать лицевой счёт?") || !strings.Contains(r.body, `id="unlink-confirm"`) {
		t.Errorf("unlink without confirmation: HTTP %d", r.status)
	}
	if accs, _ := store.ResidentAccounts(context.Background(), e.pool, residentIDByOID(t, e, ivanov)); len(accs) != 1 {
		t.Errorf("unlinked without confirmation: %v", accs)
	}
	if r := b.postFollow("/accounts/"+itoa(acc)+"/unlink", url.Values{"confirm": {"yes"}}); !strings.Contains(r.body, "Лицевой счёт отвязан") {
		t.Errorf("confirmed unlink: HTTP %d", r.status)
	}
	// A server error is the Russian 500 page, without the error's text.
	b2, acc2 := e.linked(1000299655, e.hint[1])
	if _, err := e.pool.Exec(context.Background(), `ALTER TABLE meters RENAME TO meters_gone`); err != nil {
		t.Fatal(err)
	}
	if r := b2.get("/accounts/" + itoa(acc2) + "/meters"); r.status != http.StatusInternalServerError ||
		!strings.Contains(r.body, "Сервис временно не отвечает") || strings.Contains(r.body, "SQLSTATE") || strings.Contains(r.body, "meters_gone") {
		t.Errorf("server error: HTTP %d\n%.500s", r.status, r.body)
	}
	if _, err := e.pool.Exec(context.Background(), `ALTER TABLE meters_gone RENAME TO meters`); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/no-such-page", "/accounts/1/nothing", "/cabinet-static/nope.css"} {
		r := b.get(p)
		if r.status != http.StatusNotFound || (!strings.Contains(r.body, "Страница не найдена") && !strings.HasPrefix(p, "/cabinet-static")) {
			t.Errorf("GET %s: HTTP %d\n%.300s", p, r.status, r.body)
		}
	}
}
