package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// AccountHit is an account the console's search found.
type AccountHit struct {
	ID        int64
	OrgName   string
	Number    string
	ELS       string
	ZhkuID    string
	PayerName string
	Address   string
	Premises  string
	Closed    bool
	// Match says what matched: number, els, zhku, payer, address.
	Match string
}

// ResidentHit is a resident the console's search found.
type ResidentHit struct {
	ID       int64
	Name     string
	Email    string
	Phone    string
	Accounts int
	Match    string // email, phone, name
}

// SearchResult is what one query of the console's search box found.
type SearchResult struct {
	Accounts  []AccountHit
	Residents []ResidentHit
}

// The search's query forms, each served by its index (migration 00631; the
// search test checks the plans). Every form is a prefix match (text_pattern_ops
// b-tree) or a substring match of at least three characters (trigram GIN).
const (
	accountHitCols = `a.id, o.name, a.number, coalesce(a.els, ''), coalesce(a.zhku_id, ''), a.payer_name, h.address, p.number,
		a.closed_on IS NOT NULL`
	accountHitFrom = ` FROM accounts a JOIN organizations o ON o.id = a.org_id JOIN premises p ON p.id = a.premises_id
		JOIN houses h ON h.id = p.house_id `
	searchAccountNumber = `SELECT ` + accountHitCols + `, 'number'` + accountHitFrom +
		`WHERE a.number LIKE $1 || '%' ORDER BY a.number, a.id LIMIT $2`
	searchAccountELS = `SELECT ` + accountHitCols + `, 'els'` + accountHitFrom +
		`WHERE a.els LIKE $1 || '%' ORDER BY a.els LIMIT $2`
	searchAccountZhku = `SELECT ` + accountHitCols + `, 'zhku'` + accountHitFrom +
		`WHERE a.zhku_id LIKE $1 || '%' ORDER BY a.zhku_id LIMIT $2`
	searchAccountPayer = `SELECT ` + accountHitCols + `, 'payer'` + accountHitFrom +
		`WHERE lower(a.payer_name) LIKE '%' || $1 || '%' ORDER BY a.payer_name, a.id LIMIT $2`
	// The address form takes a pattern of the house part's words in order
	// ("%куйбышева%95%") and, when given, the flat number.
	searchAccountAddress = `SELECT ` + accountHitCols + `, 'address'` + accountHitFrom +
		`WHERE lower(h.address) LIKE $1 AND ($3 = '' OR p.number = $3)
		ORDER BY length(h.address), h.address, length(p.number), p.number, a.number LIMIT $2`
	residentHitCols = `r.id, trim(r.last_name || ' ' || r.first_name || ' ' || r.middle_name), coalesce(r.email, ''), coalesce(r.phone, ''),
		(SELECT count(*) FROM resident_accounts ra WHERE ra.resident_id = r.id)`
	searchResidentEmail = `SELECT ` + residentHitCols + `, 'email' FROM residents r
		WHERE lower(r.email) LIKE $1 || '%' ORDER BY lower(r.email) LIMIT $2`
	searchResidentPhone = `SELECT ` + residentHitCols + `, 'phone' FROM residents r
		WHERE regexp_replace(r.phone, '[^0-9]', '', 'g') LIKE '%' || $1 || '%' ORDER BY r.id LIMIT $2`
	searchResidentName = `SELECT ` + residentHitCols + `, 'name' FROM residents r
		WHERE lower(r.last_name || ' ' || r.first_name || ' ' || r.middle_name) LIKE '%' || $1 || '%'
		ORDER BY r.last_name, r.first_name, r.id LIMIT $2`
)

// MaxSearchLen bounds a search query (runes).
const MaxSearchLen = 100

// Search finds accounts and residents for the console's search box: an
// account by number, ЕЛС or ЖКУ id (prefix), by payer name or by address
// ("Ленина 5 кв 12": the house part and, after «кв», the flat); a resident
// by e-mail (prefix), phone (any part of its digits, at least five) or name.
// Substring forms need at least three characters. limit bounds each list.
func Search(ctx context.Context, db DBTX, q string, limit int) (SearchResult, error) {
	var res SearchResult
	q = strings.Join(strings.Fields(q), " ")
	if q == "" {
		return res, nil
	}
	if len([]rune(q)) > MaxSearchLen {
		return res, apperr.E(apperr.Invalid, "search", fmt.Sprintf("запрос длиннее %d символов", MaxSearchLen))
	}
	if limit <= 0 {
		limit = 50
	}
	lower := strings.ToLower(q)
	escaped := likeEscape(lower)
	digits := onlyDigits(q)
	compact := strings.ReplaceAll(strings.ToUpper(q), " ", "")
	type form struct {
		sql  string
		args []any
	}
	var accs, ress []form
	if isAccountKey(compact) {
		key := likeEscape(compact)
		accs = append(accs, form{searchAccountNumber, []any{key, limit}}, form{searchAccountELS, []any{key, limit}},
			form{searchAccountZhku, []any{key, limit}})
	}
	if strings.Contains(q, "@") {
		ress = append(ress, form{searchResidentEmail, []any{escaped, limit}})
	}
	if len(digits) >= 5 && len(digits) >= len([]rune(strings.ReplaceAll(q, " ", "")))-4 {
		// A phone: compare its last ten digits (8 912… and +7 912… are the same number).
		if len(digits) > 10 {
			digits = digits[len(digits)-10:]
		}
		ress = append(ress, form{searchResidentPhone, []any{digits, limit}})
	}
	if len([]rune(lower)) >= 3 && !strings.Contains(q, "@") && hasLetter(q) {
		accs = append(accs, form{searchAccountPayer, []any{escaped, limit}})
		house, flat := splitAddress(lower)
		if len([]rune(house)) >= 3 {
			accs = append(accs, form{searchAccountAddress, []any{addressPattern(house), limit, flat}})
		}
		ress = append(ress, form{searchResidentName, []any{escaped, limit}})
	}
	seenA := map[int64]bool{}
	for _, f := range accs {
		rows, err := db.Query(ctx, f.sql, f.args...)
		if err != nil {
			return res, fmt.Errorf("search accounts: %w", err)
		}
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (AccountHit, error) {
			var h AccountHit
			err := r.Scan(&h.ID, &h.OrgName, &h.Number, &h.ELS, &h.ZhkuID, &h.PayerName, &h.Address, &h.Premises, &h.Closed, &h.Match)
			return h, err
		})
		if err != nil {
			return res, fmt.Errorf("search accounts: %w", err)
		}
		for _, h := range hits {
			if !seenA[h.ID] && len(res.Accounts) < limit {
				seenA[h.ID] = true
				res.Accounts = append(res.Accounts, h)
			}
		}
	}
	seenR := map[int64]bool{}
	for _, f := range ress {
		rows, err := db.Query(ctx, f.sql, f.args...)
		if err != nil {
			return res, fmt.Errorf("search residents: %w", err)
		}
		hits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ResidentHit, error) {
			var h ResidentHit
			err := r.Scan(&h.ID, &h.Name, &h.Email, &h.Phone, &h.Accounts, &h.Match)
			return h, err
		})
		if err != nil {
			return res, fmt.Errorf("search residents: %w", err)
		}
		for _, h := range hits {
			if !seenR[h.ID] && len(res.Residents) < limit {
				seenR[h.ID] = true
				res.Residents = append(res.Residents, h)
			}
		}
	}
	return res, nil
}

// isAccountKey: an account number, ЕЛС or ЖКУ id is letters, digits and
// dashes with at least one digit.
func isAccountKey(s string) bool {
	if s == "" || len(s) > 30 {
		return false
	}
	digit := false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsLetter(r), r == '-':
		default:
			return false
		}
	}
	return digit
}

func onlyDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// likeEscape makes s literal inside a LIKE pattern (backslash is the
// default escape character).
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// addressPattern matches the words of an address in order, whatever
// stands between them ("ул.", "д.", commas): "куйбышева 95" → "%куйбышева%95%".
func addressPattern(house string) string {
	words := strings.FieldsFunc(house, func(r rune) bool { return r == ' ' || r == ',' || r == '.' })
	var b strings.Builder
	b.WriteString("%")
	for _, w := range words {
		if w == "д" || w == "ул" || w == "дом" || w == "г" {
			continue
		}
		b.WriteString(likeEscape(w))
		b.WriteString("%")
	}
	return b.String()
}

// splitAddress splits "ленина 5, кв. 12" into the house part "ленина 5"
// and the flat "12"; without «кв» the flat is empty.
func splitAddress(q string) (house, flat string) {
	i := strings.LastIndex(q, "кв")
	if i < 0 {
		return strings.Trim(q, " ,."), ""
	}
	house = strings.Trim(q[:i], " ,.")
	rest := strings.TrimLeft(q[i+len("кв"):], "артиыра. ")
	rest = strings.TrimSpace(rest)
	if f := strings.Fields(rest); len(f) > 0 {
		flat = strings.Trim(f[0], ",.")
	}
	if flat == "" {
		return strings.Trim(q, " ,."), ""
	}
	return house, flat
}

// AccountInfo is an account's header on its console page.
type AccountInfo struct {
	AccountHit
	OrgID           int64
	GISAccountGUID  string
	GISUniqueNumber string
	GISPremisesGUID string
	FIASHouseGUID   string
	GISHouseGUID    string
	PayerKind       string
	TotalArea       string
	ResidentsCount  int
	OpenedOn        time.Time
	ClosedOn        *time.Time
	Balance         *int64
	BalanceAsOf     *time.Time
}

// AccountCharge is one charge line.
type AccountCharge struct {
	Period                                time.Time
	Service, Unit                         string
	Tariff, Volume                        string
	Amount, Recalculation, Benefit, Total int64
}

// AccountDocument is one payment document of the account.
type AccountDocument struct {
	ID             int64
	Period         time.Time
	Number         string
	OpeningBalance int64
	Charged        int64
	Penalties      int64
	TotalDue       int64
	State          string
	GISID          string
}

// AccountPayment is one payment to the account.
type AccountPayment struct {
	ID            int64
	OperationDate time.Time
	Source        string
	OperationID   string
	Period        *time.Time
	Amount        int64
	GISOrderID    string
	Cancelled     bool
}

// AccountReading is one meter reading, with its meter.
type AccountReading struct {
	MeterID    int64
	Meter      string
	Resource   string
	GISRoot    string
	TakenOn    time.Time
	Value      string
	Source     string
	Flag       string
	RecordedAt time.Time
}

// AccountMeter is a meter of the account with its GIS identifiers.
type AccountMeter struct {
	ID          int64
	Number      string
	Resource    string
	GISRoot     string
	GISVersion  string
	InstalledOn *time.Time
}

// AccountResident is a resident linked to the account.
type AccountResident struct {
	ID        int64
	Name      string
	Email     string
	Phone     string
	Verified  bool
	Main      bool
	Paperless bool
	LinkedAt  time.Time
}

// AccountStory is everything the console shows on an account's page.
type AccountStory struct {
	Account   AccountInfo
	Charges   []AccountCharge
	Documents []AccountDocument
	Payments  []AccountPayment
	Meters    []AccountMeter
	Readings  []AccountReading
	Residents []AccountResident
	// GISItems are the last exchange items of the account, its meters,
	// documents and payments, newest first.
	GISItems []GISItem
	Audit    []AuditEntry
}

// LoadAccountStory reads an account's whole story; each list holds the
// newest limit rows. An unknown account is NotFound.
func LoadAccountStory(ctx context.Context, db DBTX, id int64, limit int) (AccountStory, error) {
	var s AccountStory
	a := &s.Account
	err := db.QueryRow(ctx, `SELECT `+accountHitCols+`, '', a.org_id, coalesce(a.gis_account_guid::text, ''),
			coalesce(a.gis_unique_number, ''), coalesce(p.gis_premises_guid::text, ''), h.fias_house_guid::text,
			coalesce(h.gis_house_guid::text, ''), a.payer_kind, coalesce(a.total_area::text, ''), a.residents_count, a.opened_on, a.closed_on,
			b.balance, b.as_of_period`+accountHitFrom+`
		LEFT JOIN account_balances b ON b.account_id = a.id WHERE a.id = $1`, id).Scan(
		&a.ID, &a.OrgName, &a.Number, &a.ELS, &a.ZhkuID, &a.PayerName, &a.Address, &a.Premises, &a.Closed, &a.Match,
		&a.OrgID, &a.GISAccountGUID, &a.GISUniqueNumber, &a.GISPremisesGUID, &a.FIASHouseGUID, &a.GISHouseGUID, &a.PayerKind,
		&a.TotalArea, &a.ResidentsCount, &a.OpenedOn, &a.ClosedOn, &a.Balance, &a.BalanceAsOf)
	if errors.Is(err, pgx.ErrNoRows) {
		return s, apperr.E(apperr.NotFound, "account", fmt.Sprintf("лицевой счёт %d не найден", id))
	}
	if err != nil {
		return s, fmt.Errorf("account %d: %w", id, err)
	}
	if limit <= 0 {
		limit = 100
	}
	q := func(sql string, scan func(pgx.CollectableRow) error, args ...any) error {
		rows, err := db.Query(ctx, sql, args...)
		if err != nil {
			return fmt.Errorf("account %d story: %w", id, err)
		}
		_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) { return struct{}{}, scan(r) })
		if err != nil {
			return fmt.Errorf("account %d story: %w", id, err)
		}
		return nil
	}
	steps := []func() error{
		func() error {
			return q(`SELECT c.period, s.name, s.unit, c.tariff::text, c.volume::text, c.amount, c.recalculation, c.benefit, c.total
				FROM charges c JOIN services s ON s.id = c.service_id WHERE c.account_id = $1
				ORDER BY c.period DESC, s.code LIMIT $2`, func(r pgx.CollectableRow) error {
				var c AccountCharge
				err := r.Scan(&c.Period, &c.Service, &c.Unit, &c.Tariff, &c.Volume, &c.Amount, &c.Recalculation, &c.Benefit, &c.Total)
				s.Charges = append(s.Charges, c)
				return err
			}, id, limit)
		},
		func() error {
			return q(`SELECT id, period, number, opening_balance, charged, penalties, total_due, state, coalesce(gis_payment_document_id, '')
				FROM payment_documents WHERE account_id = $1 ORDER BY period DESC LIMIT $2`, func(r pgx.CollectableRow) error {
				var d AccountDocument
				err := r.Scan(&d.ID, &d.Period, &d.Number, &d.OpeningBalance, &d.Charged, &d.Penalties, &d.TotalDue, &d.State, &d.GISID)
				s.Documents = append(s.Documents, d)
				return err
			}, id, limit)
		},
		func() error {
			return q(`SELECT id, operation_date, source, operation_id, period, amount, coalesce(gis_order_id, ''), gis_cancelled_at IS NOT NULL
				FROM payments WHERE account_id = $1 ORDER BY operation_date DESC, id DESC LIMIT $2`, func(r pgx.CollectableRow) error {
				var p AccountPayment
				err := r.Scan(&p.ID, &p.OperationDate, &p.Source, &p.OperationID, &p.Period, &p.Amount, &p.GISOrderID, &p.Cancelled)
				s.Payments = append(s.Payments, p)
				return err
			}, id, limit)
		},
		func() error {
			return q(`SELECT id, number, resource, coalesce(gis_meter_root_guid::text, ''), coalesce(gis_meter_version_guid::text, ''), installed_on
				FROM meters WHERE account_id = $1 ORDER BY resource, number`, func(r pgx.CollectableRow) error {
				var m AccountMeter
				err := r.Scan(&m.ID, &m.Number, &m.Resource, &m.GISRoot, &m.GISVersion, &m.InstalledOn)
				s.Meters = append(s.Meters, m)
				return err
			}, id)
		},
		func() error {
			return q(`SELECT m.id, m.number, m.resource, coalesce(m.gis_meter_root_guid::text, ''), r.taken_on,
					concat_ws(' / ', r.value::text, r.value_t2::text, r.value_t3::text), r.source, r.flag, r.created_at
				FROM meters m JOIN readings r ON r.meter_id = m.id WHERE m.account_id = $1
				ORDER BY r.taken_on DESC, m.number, r.source LIMIT $2`, func(r pgx.CollectableRow) error {
				var x AccountReading
				err := r.Scan(&x.MeterID, &x.Meter, &x.Resource, &x.GISRoot, &x.TakenOn, &x.Value, &x.Source, &x.Flag, &x.RecordedAt)
				s.Readings = append(s.Readings, x)
				return err
			}, id, limit)
		},
		func() error {
			return q(`SELECT r.id, trim(r.last_name || ' ' || r.first_name || ' ' || r.middle_name), coalesce(r.email, ''), coalesce(r.phone, ''),
					ra.verified_at IS NOT NULL, ra.is_main, ra.paperless, ra.created_at
				FROM resident_accounts ra JOIN residents r ON r.id = ra.resident_id WHERE ra.account_id = $1 ORDER BY ra.created_at`,
				func(r pgx.CollectableRow) error {
					var x AccountResident
					err := r.Scan(&x.ID, &x.Name, &x.Email, &x.Phone, &x.Verified, &x.Main, &x.Paperless, &x.LinkedAt)
					s.Residents = append(s.Residents, x)
					return err
				}, id)
		},
		func() error {
			rows, err := db.Query(ctx, `SELECT `+gisItemCols+` FROM gis_items i WHERE
					(i.object_kind = 'account' AND i.object_id = $1)
					OR (i.object_kind = 'meter' AND i.object_id IN (SELECT id FROM meters WHERE account_id = $1))
					OR (i.object_kind IN ('document', 'withdrawal') AND i.object_id IN (SELECT id FROM payment_documents WHERE account_id = $1))
					OR (i.object_kind IN ('payment', 'cancellation') AND i.object_id IN (SELECT id FROM payments WHERE account_id = $1))
				ORDER BY i.updated_at DESC, i.transport_guid LIMIT $2`, id, limit)
			if err != nil {
				return fmt.Errorf("account %d gis items: %w", id, err)
			}
			s.GISItems, err = pgx.CollectRows(rows, scanGISItem)
			return err
		},
		func() (err error) {
			s.Audit, err = RecentAudit(ctx, db, AuditFilter{ObjectKind: "account", ObjectID: strconv.FormatInt(id, 10), Limit: limit})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return s, err
		}
	}
	return s, nil
}
