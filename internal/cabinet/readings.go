package cabinet

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// maxReadingDigits bounds a meter reading (numeric(15,4) holds 11 integer digits).
const maxReadingDigits = 11

// parseReading reads a meter value typed with a comma or a dot, up to 4 decimals.
func parseReading(s string) (model.Decimal, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", ".")
	bad := apperr.Invalidf("reading", "Показание — число, например 123,45 (не больше 4 знаков после запятой).")
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" || len(intPart) > maxReadingDigits || len(frac) > 4 {
		return model.Decimal{}, bad
	}
	var d model.Decimal
	for _, c := range intPart + frac {
		if c < '0' || c > '9' {
			return model.Decimal{}, bad
		}
		d.Units = d.Units*10 + int64(c-'0')
	}
	d.Scale = int32(len(frac))
	return d, nil
}

// cmpDecimal compares two decimals exactly.
func cmpDecimal(a, b model.Decimal) int {
	for a.Scale < b.Scale {
		a.Units, a.Scale = a.Units*10, a.Scale+1
	}
	for b.Scale < a.Scale {
		b.Units, b.Scale = b.Units*10, b.Scale+1
	}
	switch {
	case a.Units < b.Units:
		return -1
	case a.Units > b.Units:
		return 1
	}
	return 0
}

// wholePart drops the fraction: residents copy the black digits of the meter.
func wholePart(d model.Decimal) int64 {
	for ; d.Scale > 0; d.Scale-- {
		d.Units /= 10
	}
	return d.Units
}

// saveReading checks and stores a reading of meterID of accountID. With prove set, previous must
// match the meter's latest reading (its whole part), which is how a resident without login
// proves to live there.
func (c *Cabinet) saveReading(r *http.Request, accountID, meterID int64, value, previous string, prove bool) error {
	ctx := r.Context()
	meters, err := store.AccountMeters(ctx, c.deps.Pool, accountID)
	if err != nil {
		return err
	}
	var m *store.MeterReading
	for i := range meters {
		if meters[i].MeterID == meterID {
			m = &meters[i]
		}
	}
	if m == nil {
		return apperr.Invalidf("reading", "Выберите счётчик из списка.")
	}
	v, err := parseReading(value)
	if err != nil {
		return err
	}
	if prove {
		p, err := parseReading(previous)
		if err != nil {
			return err
		}
		if m.LastValue == nil || wholePart(*m.LastValue) != wholePart(p) {
			return errNoReadingProof
		}
	}
	if m.LastValue != nil && cmpDecimal(v, *m.LastValue) < 0 {
		return apperr.Invalidf("reading", "Новое показание меньше предыдущего (%s). Проверьте цифры.", strings.Replace(m.LastValue.String(), ".", ",", 1))
	}
	return store.SaveResidentReading(ctx, c.deps.Pool, accountID, meterID, v)
}

var errNoReadingProof = apperr.E(apperr.Permission, "reading", "Данные не совпадают с данными расчётного центра.")

// readingsForm is GET /readings: submission without login, step 1 (which flat).
func (c *Cabinet) readingsForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	houses, err := store.Houses(r.Context(), c.deps.Pool)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "readings", v, page{Title: "Передать показания", Data: map[string]any{"Houses": houses}})
}

// readingsSubmit is POST /readings. Step "find" checks account, house and flat and lists the
// meters; step "save" re-checks them, proves by the previous reading and stores the new one.
// Both are limited per IP and, for failures, per account.
func (c *Cabinet) readingsSubmit(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	houses, err := store.Houses(ctx, c.deps.Pool)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	data := map[string]any{"Houses": houses, "Number": r.PostFormValue("number"), "Flat": r.PostFormValue("flat")}
	house, _ := strconv.ParseInt(r.PostFormValue("house"), 10, 64)
	data["House"] = house
	fail := func(err error) { c.failForm(w, r, v, "readings", "Передать показания", err, data) }

	// Every attempt counts per IP; failed proofs count per IP and account (only this client is
	// stopped), and each account admits AccountClients different clients an hour.
	keyIP := "reading:ip:" + c.clientIP(r)
	if _, err := c.reserve(ctx, "reading", keyIP, c.ipLimit(), ""); err != nil {
		fail(err)
		return
	}
	f, err := readAccountForm(r)
	if err != nil {
		fail(err)
		return
	}
	keyAcc, err := c.reserveClientAccount(ctx, "reading", "reading", "ip:"+c.clientIP(r), f.Number)
	if err != nil {
		fail(err)
		return
	}
	c.checked("reading_proof")
	p, err := store.FindAccountForProof(ctx, c.deps.Pool, f.Number, f.HouseID, f.Flat)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			err = errNoReadingProof
		}
		fail(err)
		return
	}
	meters, err := store.AccountMeters(ctx, c.deps.Pool, p.AccountID)
	if err != nil {
		fail(err)
		return
	}
	if len(meters) == 0 {
		fail(apperr.E(apperr.NotFound, "reading", "У этого лицевого счёта нет счётчиков."))
		return
	}
	data["Meters"] = meters
	if r.PostFormValue("step") != "save" {
		// Account, house and flat match: this step proved nothing secret yet, give it back.
		c.release(ctx, keyAcc, c.proofLimit())
		c.render(w, r, http.StatusOK, "readings", v, page{Title: "Передать показания", Data: data})
		return
	}
	meterID, _ := strconv.ParseInt(r.PostFormValue("meter"), 10, 64)
	data["Meter"] = meterID
	if err := c.saveReading(r, p.AccountID, meterID, r.PostFormValue("value"), r.PostFormValue("previous"), true); err != nil {
		if !apperr.Is(err, apperr.Permission) {
			c.release(ctx, keyAcc, c.proofLimit()) // a typo in the new value is no guess
		}
		fail(err)
		return
	}
	c.release(ctx, keyAcc, c.proofLimit())
	c.audit(ctx, 0, "reading.anonymous", "meter", strconv.FormatInt(meterID, 10),
		map[string]any{"account_id": p.AccountID, "remote": c.clientIP(r)})
	c.render(w, r, http.StatusOK, "sent", v, page{Title: "Показания приняты", Notice: notices["reading"]})
}
