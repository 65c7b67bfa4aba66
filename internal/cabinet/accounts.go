package cabinet

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// accountForm is what a resident types to claim an account.
type accountForm struct {
	Number, Flat string
	HouseID      int64
	ProofKind    string // "surname" or "total"
	Proof        string
}

func readAccountForm(r *http.Request) (accountForm, error) {
	f := accountForm{
		Number: strings.TrimSpace(r.PostFormValue("number")), Flat: strings.TrimSpace(r.PostFormValue("flat")),
		ProofKind: r.PostFormValue("proof_kind"), Proof: strings.TrimSpace(r.PostFormValue("proof")),
	}
	f.HouseID, _ = strconv.ParseInt(r.PostFormValue("house"), 10, 64)
	switch {
	case !validAccountNumber(f.Number):
		return f, apperr.Invalidf("account form", "Номер лицевого счёта: от 1 до 30 цифр или латинских букв, как в квитанции.")
	case f.HouseID <= 0:
		return f, apperr.Invalidf("account form", "Выберите дом из списка.")
	case f.Flat == "" || len(f.Flat) > 16:
		return f, apperr.Invalidf("account form", "Укажите номер квартиры, как в квитанции.")
	}
	return f, nil
}

func validAccountNumber(s string) bool {
	if len(s) == 0 || len(s) > 30 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}

// normalizeName compares surnames the way people type them: case, ё/е and spaces ignored.
func normalizeName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.ReplaceAll(s, "ё", "е")
}

// proves checks the resident's proof against what the settlement center knows.
func proves(f accountForm, p store.AccountProof) bool {
	switch f.ProofKind {
	case "surname":
		fields := strings.Fields(p.PayerName)
		return len(fields) > 0 && f.Proof != "" && normalizeName(fields[0]) == normalizeName(f.Proof)
	case "total":
		k, err := parseRubles(f.Proof)
		return err == nil && p.HasDocument && k == p.LastTotal
	}
	return false
}

var errNoProof = apperr.E(apperr.Permission, "link account",
	"Данные не совпадают с данными расчётного центра. Проверьте номер счёта, дом, квартиру и подтверждение по последней квитанции.")

func (c *Cabinet) linkAccount(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	res := v.Resident
	fail := func(err error) { c.homeWithError(w, r, v, err) }
	// Reserved before the proof is checked: per resident, per IP, and per resident and account
	// (with the account's count of distinct residents); a proof that holds gives them back.
	keyRes := "link:resident:" + strconv.FormatInt(res.ID, 10)
	keyIP := "link:ip:" + c.clientIP(r)
	f, err := readAccountForm(r)
	if err == nil && f.ProofKind != "surname" && f.ProofKind != "total" {
		err = apperr.Invalidf("link account", "Выберите, чем подтвердить: фамилией владельца или суммой последней квитанции.")
	}
	if err != nil {
		fail(err)
		return
	}
	if _, err := c.reserve(ctx, "link account", keyRes, c.proofLimit(), ""); err != nil {
		fail(err)
		return
	}
	if _, err := c.reserve(ctx, "link account", keyIP, c.ipLimit(), ""); err != nil {
		fail(err)
		return
	}
	keyAcc, err := c.reserveClientAccount(ctx, "link account", "link", "resident:"+strconv.FormatInt(res.ID, 10), f.Number)
	if err != nil {
		fail(err)
		return
	}
	c.checked("account_proof")
	p, err := store.FindAccountForProof(ctx, c.deps.Pool, f.Number, f.HouseID, f.Flat)
	if err != nil && !apperr.Is(err, apperr.NotFound) {
		fail(err)
		return
	}
	if err != nil || !proves(f, p) {
		// One answer for "no such account" and "wrong proof", so guessing learns nothing.
		c.audit(ctx, res.ID, "resident.account_link_failed", "account", f.Number,
			map[string]any{"house_id": f.HouseID, "flat": f.Flat, "proof": f.ProofKind, "remote": c.clientIP(r)})
		fail(errNoProof)
		return
	}
	tx, err := c.deps.Pool.Begin(ctx)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback(ctx)
	if err := store.LinkAccount(ctx, tx, res.ID, p.AccountID); err != nil {
		fail(err)
		return
	}
	if err := store.Audit(ctx, tx, store.AuditEntry{ActorKind: "resident", ActorID: res.ID, Action: "resident.account_linked",
		ObjectKind: "account", ObjectID: strconv.FormatInt(p.AccountID, 10),
		Details: map[string]any{"number": f.Number, "proof": f.ProofKind, "resident": res.FullName()}}); err != nil {
		fail(err)
		return
	}
	if err := tx.Commit(ctx); err != nil {
		fail(err)
		return
	}
	c.release(ctx, keyRes, c.proofLimit())
	c.release(ctx, keyIP, c.ipLimit())
	c.release(ctx, keyAcc, c.proofLimit())
	http.Redirect(w, r, "/?ok=linked", http.StatusSeeOther)
}

// homeWithError re-renders the home page with the link form's error and input.
func (c *Cabinet) homeWithError(w http.ResponseWriter, r *http.Request, v *visitor, err error) {
	ctx := r.Context()
	accounts, aerr := store.ResidentAccounts(ctx, c.deps.Pool, v.Resident.ID)
	houses, herr := store.Houses(ctx, c.deps.Pool)
	if aerr != nil || herr != nil || apperr.HTTPStatus(err) >= 500 {
		c.fail(w, r, v, errOr(errOr(aerr, herr), err))
		return
	}
	status := limitStatus(w, err, apperr.HTTPStatus(err))
	house, _ := strconv.ParseInt(r.PostFormValue("house"), 10, 64)
	c.render(w, r, status, "home", v, page{Title: "Мои лицевые счета", Error: apperr.UserMessage(err),
		Data: map[string]any{"Accounts": accounts, "Houses": houses, "Form": map[string]any{
			"Number": r.PostFormValue("number"), "House": house, "Flat": r.PostFormValue("flat"),
			"ProofKind": r.PostFormValue("proof_kind")}}})
}

func accountID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

func (c *Cabinet) accountPage(w http.ResponseWriter, r *http.Request, v *visitor) {
	ctx := r.Context()
	acc, err := store.ResidentAccount(ctx, c.deps.Pool, v.Resident.ID, accountID(r))
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	data, err := c.accountData(r, v, acc)
	if err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, http.StatusOK, "account", v, page{Title: "Лицевой счёт " + acc.Number, Data: data})
}

// accountData gathers what the account page shows; every query is scoped to the resident.
func (c *Cabinet) accountData(r *http.Request, v *visitor, acc store.LinkedAccount) (map[string]any, error) {
	ctx := r.Context()
	meters, err := store.AccountMeters(ctx, c.deps.Pool, acc.AccountID)
	if err != nil {
		return nil, err
	}
	bills, err := store.ResidentBills(ctx, c.deps.Pool, v.Resident.ID, acc.AccountID, 12)
	if err != nil {
		return nil, err
	}
	payments, err := store.ResidentPayments(ctx, c.deps.Pool, v.Resident.ID, acc.AccountID, 12)
	if err != nil {
		return nil, err
	}
	// Online payments the bank's registry has not brought yet count at once; once it has, the
	// registry payment stands for them (store.ProvisionalPayments).
	online, onlineSum, err := store.ProvisionalPayments(ctx, c.deps.Pool, acc.AccountID)
	if err != nil {
		return nil, err
	}
	notify, err := c.notifySettings(r, v, acc.AccountID)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"Account": acc, "Meters": meters, "Bills": bills, "Payments": payments, "Online": online, "Notify": notify}
	// The balance exists once a bank registry has paid the account; until then the page shows none.
	switch bal, err := store.ResidentBalance(ctx, c.deps.Pool, v.Resident.ID, acc.AccountID); {
	case err == nil:
		bal.PaidSince += onlineSum
		bal.Balance -= onlineSum
		data["Balance"] = bal
	case !apperr.Is(err, apperr.NotFound):
		return nil, err
	}
	return data, nil
}

func (c *Cabinet) setMain(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := accountID(r)
	if err := store.SetMainAccount(r.Context(), c.deps.Pool, v.Resident.ID, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.account_main", "account", strconv.FormatInt(id, 10), nil)
	http.Redirect(w, r, "/?ok=main", http.StatusSeeOther)
}

func (c *Cabinet) setPaperless(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := accountID(r)
	on := r.PostFormValue("paperless") == "on"
	if err := store.SetPaperless(r.Context(), c.deps.Pool, v.Resident.ID, id, on); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.account_paperless", "account", strconv.FormatInt(id, 10), map[string]any{"paperless": on})
	http.Redirect(w, r, "/accounts/"+strconv.FormatInt(id, 10)+"?ok=paperless", http.StatusSeeOther)
}

func (c *Cabinet) unlink(w http.ResponseWriter, r *http.Request, v *visitor) {
	id := accountID(r)
	if err := store.UnlinkAccount(r.Context(), c.deps.Pool, v.Resident.ID, id); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.audit(r.Context(), v.Resident.ID, "resident.account_unlinked", "account", strconv.FormatInt(id, 10), nil)
	http.Redirect(w, r, "/?ok=unlinked", http.StatusSeeOther)
}
