package cabinet

import (
	"cmp"
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

var errNoReadingProof = apperr.E(apperr.Permission, "reading", "Данные не совпадают с данными расчётного центра.")

// readingsForm is GET /readings: submission without login, step 1 (which flat). The house is
// found by what the resident types (street and number): up to store.HouseSearchLimit matches.
func (c *Cabinet) readingsForm(w http.ResponseWriter, r *http.Request, v *visitor) {
	q := strings.TrimSpace(r.URL.Query().Get("address"))
	data := map[string]any{"Address": q}
	if q != "" {
		houses, err := store.SearchHouses(r.Context(), c.deps.Pool, q)
		if err != nil {
			c.fail(w, r, v, err)
			return
		}
		data["Houses"], data["Searched"] = houses, true
	}
	c.render(w, r, http.StatusOK, "readings", v, page{Title: "Передать показания", Data: data})
}

// readingsSubmit is POST /readings. Step "find" checks account, house and flat and lists the
// meters; step "save" re-checks them, proves by the reading printed on the last receipt (its
// whole part) and checks and stores the new readings of every meter typed. Both are limited per
// IP and, for failed proofs, per account.
func (c *Cabinet) readingsSubmit(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	house, _ := strconv.ParseInt(r.PostFormValue("house"), 10, 64)
	data := map[string]any{"Number": r.PostFormValue("number"), "Flat": r.PostFormValue("flat"), "House": house,
		"Address": r.PostFormValue("address"), "ProofMeter": "", "Previous": ""}
	if house > 0 {
		addr, err := store.HouseAddress(ctx, c.deps.Pool, house)
		if err != nil && !apperr.Is(err, apperr.NotFound) {
			c.fail(w, r, v, err)
			return
		}
		data["HouseAddress"] = addr
	}
	fail := func(err error) { c.failForm(w, r, v, "readings", "Передать показания", err, data) }

	// Every attempt counts per IP; failed proofs count per IP and account (only this client is
	// stopped), and each account admits AccountClients different clients an hour.
	p, keyAcc, err := c.proveAccount(ctx, r, "reading")
	if err != nil {
		fail(err)
		return
	}
	cards, err := store.MeterCards(ctx, c.deps.Pool, p.AccountID)
	if err != nil {
		fail(err)
		return
	}
	if len(cards) == 0 {
		fail(apperr.E(apperr.NotFound, "reading", "У этого лицевого счёта нет счётчиков."))
		return
	}
	d := c.newReadingsData(cards)
	data["Form"] = d
	if r.PostFormValue("step") != "save" {
		// Account, house and flat match: this step proved nothing secret yet, give it back.
		c.release(ctx, keyAcc, c.proofLimit())
		c.render(w, r, http.StatusOK, "readings", v, page{Title: "Передать показания", Data: data})
		return
	}
	proofMeter := cmp.Or(r.PostFormValue("proof_meter"), r.PostFormValue("meter"))
	data["ProofMeter"], data["Previous"] = proofMeter, r.PostFormValue("previous")
	var proof *store.MeterCard
	for i := range cards {
		if strconv.FormatInt(cards[i].MeterID, 10) == proofMeter {
			proof = &cards[i]
		}
	}
	if proof == nil {
		c.release(ctx, keyAcc, c.proofLimit())
		fail(apperr.Invalidf("reading", "Выберите счётчик, показание которого вы берёте из квитанции."))
		return
	}
	prev, err := parseReading(r.PostFormValue("previous"))
	if err != nil {
		c.release(ctx, keyAcc, c.proofLimit()) // a typo is no guess
		fail(err)
		return
	}
	if proof.ReceiptValue == nil || wholePart(*proof.ReceiptValue) != wholePart(prev) {
		fail(errNoReadingProof)
		return
	}
	// Proven: the rest are the resident's own mistakes, never guesses.
	c.release(ctx, keyAcc, c.proofLimit())
	date, rs, warned, err := c.collectReadings(r, d)
	if err != nil {
		fail(err)
		return
	}
	if warned {
		c.render(w, r, http.StatusOK, "readings", v, page{Title: "Передать показания",
			Error: "Проверьте отмеченные показания и подтвердите их.", Data: data})
		return
	}
	if err := c.saveReadings(ctx, 0, p.AccountID, date, rs, c.clientIP(r)); err != nil {
		fail(err)
		return
	}
	c.render(w, r, http.StatusOK, "sent", v, page{Title: "Показания приняты", Notice: notices["reading"]})
}
