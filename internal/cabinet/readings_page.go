package cabinet

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// meterRow is one meter on a readings form: the meter, what the resident typed, and what the
// checks said about it.
type meterRow struct {
	store.MeterCard
	Value, Use     string
	Error, Warning string
}

// readingsData is what the readings forms (with and without login) show.
type readingsData struct {
	Rows []meterRow
	// Date is the reading date as the date input wants it (2026-10-20); Today the same for max.
	Date, Today string
	// Confirm: warnings were shown, the form offers «Подтверждаю».
	Confirm bool
	Window  store.ReadingWindow
}

// pending is a checked reading waiting to be stored.
type pending struct {
	meterID int64
	value   model.Decimal
}

// today is the cabinet clock's date.
func (c *Cabinet) today() time.Time {
	t := c.now()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// newReadingsData lays out the form of an account's meters.
func (c *Cabinet) newReadingsData(cards []store.MeterCard) *readingsData {
	d := &readingsData{Date: c.today().Format("2006-01-02"), Today: c.today().Format("2006-01-02")}
	for _, m := range cards {
		d.Rows = append(d.Rows, meterRow{MeterCard: m})
		d.Window = m.Window
	}
	return d
}

var errNoValues = apperr.Invalidf("reading", "Введите показание или расход хотя бы одного счётчика.")

// collectReadings reads and checks the submitted values of every meter of d (value_ID or use_ID,
// the consumption; the single-meter form's meter and value too), marking each row's error or
// warning. It returns the readings to store and whether some await confirmation; err is the
// form's error (nothing is stored when it is set).
func (c *Cabinet) collectReadings(r *http.Request, d *readingsData) (date time.Time, out []pending, warned bool, err error) {
	today := c.today()
	d.Date = strings.TrimSpace(r.PostFormValue("date"))
	confirmed := r.PostFormValue("confirm") == "on"
	if date, err = parseDate(d.Date, today); err != nil {
		return date, nil, false, err
	}
	d.Date = date.Format("2006-01-02")
	if len(d.Rows) > 0 {
		if err := checkWindow(d.Window, today); err != nil {
			return date, nil, false, err
		}
	}
	single := r.PostFormValue("meter")
	if single != "" && !d.hasMeter(single) {
		return date, nil, false, apperr.Invalidf("reading", "Выберите счётчик из списка.")
	}
	bad := 0
	for i := range d.Rows {
		row := &d.Rows[i]
		id := strconv.FormatInt(row.MeterID, 10)
		row.Value, row.Use = strings.TrimSpace(r.PostFormValue("value_"+id)), strings.TrimSpace(r.PostFormValue("use_"+id))
		if single == id && row.Value == "" {
			row.Value = strings.TrimSpace(r.PostFormValue("value"))
		}
		if row.Value == "" && row.Use == "" {
			continue
		}
		v, err := rowValue(row)
		if err == nil {
			row.Warning, err = checkReading(row.MeterCard, v, date, today, confirmed)
		}
		if err != nil {
			row.Error = apperr.UserMessage(err)
			bad++
			continue
		}
		if row.Warning != "" {
			warned = true
		}
		out = append(out, pending{meterID: row.MeterID, value: v})
	}
	switch {
	case bad > 0:
		// Each error is shown at its meter; the top says only that none was taken.
		return date, nil, false, apperr.Invalidf("reading", "Показания не приняты: исправьте отмеченные счётчики. Введённые значения сохранены в форме.")
	case len(out) == 0:
		return date, nil, false, errNoValues
	}
	d.Confirm = warned
	return date, out, warned, nil
}

func (d *readingsData) hasMeter(id string) bool {
	for _, row := range d.Rows {
		if strconv.FormatInt(row.MeterID, 10) == id {
			return true
		}
	}
	return false
}

// rowValue is the new value typed, or the last value plus the consumption typed.
func rowValue(row *meterRow) (model.Decimal, error) {
	switch {
	case row.Value != "" && row.Use != "":
		return model.Decimal{}, apperr.Invalidf("reading", "Для счётчика № %s укажите показание или расход, а не то и другое.", row.Number)
	case row.Value != "":
		return parseReading(row.Value)
	}
	use, err := parseReading(row.Use)
	if err != nil {
		return model.Decimal{}, apperr.Invalidf("reading", "Расход — число, например 3,5 (не больше 4 знаков после запятой).")
	}
	if row.LastValue == nil {
		return model.Decimal{}, apperr.Invalidf("reading", "У счётчика № %s ещё нет показаний: введите показание, а не расход.", row.Number)
	}
	return addDecimal(*row.LastValue, use), nil
}

// saveReadings stores checked readings of one account in one transaction with their audit.
func (c *Cabinet) saveReadings(ctx context.Context, residentID, accountID int64, date time.Time, rs []pending, remote string) error {
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	action, kind := "resident.reading", "resident"
	if residentID == 0 {
		action, kind = "reading.anonymous", "system"
	}
	for _, p := range rs {
		if err := store.SaveMeterReading(ctx, tx, accountID, p.meterID, date, p.value); err != nil {
			return err
		}
		details := map[string]any{"account_id": accountID, "taken_on": date.Format("2006-01-02"), "value": p.value.String()}
		if remote != "" {
			details["remote"] = remote
		}
		if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: kind, ActorID: residentID, Action: action,
			ObjectKind: "meter", ObjectID: strconv.FormatInt(p.meterID, 10), Details: details}); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// accountReadingsPage is GET /accounts/{id}/readings: every meter of the account in one form.
func (c *Cabinet) accountReadingsPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	acc, cards, err := c.residentMeters(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "account_readings", v, page{Title: "Передать показания", Data: map[string]any{
		"Account": acc, "Form": c.newReadingsData(cards)}})
}

// accountReadings is POST /accounts/{id}/readings: checks every value typed; readings far above
// the usual consumption are shown again to be confirmed; then all are stored at once.
func (c *Cabinet) accountReadings(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	acc, cards, err := c.residentMeters(r, v)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	d := c.newReadingsData(cards)
	data := map[string]any{"Account": acc, "Form": d}
	date, rs, warned, err := c.collectReadings(r, d)
	if err != nil {
		c.render(w, r, apperr.HTTPStatus(err), "account_readings", v, page{Title: "Передать показания", Error: apperr.UserMessage(err), Data: data})
		return
	}
	if warned {
		c.render(w, r, http.StatusOK, "account_readings", v, page{Title: "Передать показания",
			Error: "Проверьте отмеченные показания и подтвердите их.", Data: data})
		return
	}
	if err := c.saveReadings(ctx, v.Resident.ID, acc.AccountID, date, rs, ""); err != nil {
		c.fail(w, r, v, err)
		return
	}
	http.Redirect(w, r, "/accounts/"+strconv.FormatInt(acc.AccountID, 10)+"/readings?ok=reading", http.StatusSeeOther)
}

// residentMeters loads an account the resident proved and its meters; any other is NotFound.
func (c *Cabinet) residentMeters(r *http.Request, v *visitor) (store.LinkedAccount, []store.MeterCard, error) {
	acc, err := store.ResidentAccount(r.Context(), c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		return acc, nil, err
	}
	cards, err := store.MeterCards(r.Context(), c.deps.Pool, acc.AccountID)
	return acc, cards, err
}
