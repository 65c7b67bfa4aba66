// Package demo builds a deterministic demo settlement center — organizations,
// houses with realistic Russian addresses, premises, accounts, services and
// tariffs, months of charges, meters with readings, payments and payment
// documents — and loads it with COPY in one transaction, so a crash leaves
// nothing half-loaded.
//
// Every account's history is derived from (seed, account index) alone, so
// each table's rows are generated on the fly while streaming, and memory stays
// flat for a million accounts.
package demo

import (
	"cmp"
	"context"
	"crypto/sha1"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/model"
	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Options say what to load.
type Options struct {
	// Accounts is the number of personal accounts. Defaults to 10 000.
	Accounts int
	// Months of history (charges, readings, payments, documents). Defaults to 12.
	Months int
	// Until is the last billed month. Defaults to the month before now.
	Until time.Time
	// Seed makes the data reproducible. Defaults to 1.
	Seed int64
}

func (o Options) withDefaults() Options {
	o.Accounts = cmp.Or(o.Accounts, 10000)
	o.Months = cmp.Or(o.Months, 12)
	o.Seed = cmp.Or(o.Seed, 1)
	if o.Until.IsZero() {
		now := time.Now().UTC()
		o.Until = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	}
	o.Until = time.Date(o.Until.Year(), o.Until.Month(), 1, 0, 0, 0, 0, time.UTC)
	return o
}

// Result reports what was loaded.
type Result struct {
	Loaded   bool // false when the same demo was already there
	Counts   map[string]int64
	Duration time.Duration
}

// Load loads the demo center into an empty database in one transaction. If
// the same demo (seed and size) is already loaded it does nothing; if the
// database already serves other organizations it refuses.
func Load(ctx context.Context, pool *pgxpool.Pool, opts Options, logger *slog.Logger) (Result, error) {
	opts = opts.withDefaults()
	if opts.Accounts < 1 || opts.Accounts > 5_000_000 {
		return Result{}, apperr.Invalidf("load demo", "accounts must be between 1 and 5000000, got %d", opts.Accounts)
	}
	if opts.Months < 1 || opts.Months > 60 {
		return Result{}, apperr.Invalidf("load demo", "months must be between 1 and 60, got %d", opts.Months)
	}
	if prev, err := store.LastDemoLoad(ctx, pool); err != nil {
		return Result{}, err
	} else if prev != nil {
		if prev.Seed == opts.Seed && prev.Accounts == opts.Accounts && prev.Months == opts.Months {
			return Result{Loaded: false}, nil
		}
		return Result{}, apperr.E(apperr.Conflict, "load demo", fmt.Sprintf(
			"a different demo (seed %d, %d accounts, %d months) is already loaded; use a fresh database",
			prev.Seed, prev.Accounts, prev.Months))
	}
	if n, err := store.CountOrganizations(ctx, pool); err != nil {
		return Result{}, err
	} else if n > 0 {
		return Result{}, apperr.E(apperr.Conflict, "load demo",
			fmt.Sprintf("the database already serves %d organizations; the demo loads only into an empty database", n))
	}

	start := time.Now()
	g := newGenerator(opts)
	res := Result{Loaded: true, Counts: map[string]int64{}}
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if err := g.reserve(ctx, tx); err != nil {
			return err
		}
		steps := []struct {
			name string
			copy func() (int64, error)
		}{
			{"organizations", func() (int64, error) { return store.CopyOrganizations(ctx, tx, g.organizations()) }},
			{"services", func() (int64, error) { return store.CopyServices(ctx, tx, g.services()) }},
			{"tariffs", func() (int64, error) { return store.CopyTariffs(ctx, tx, g.tariffs()) }},
			{"houses", func() (int64, error) { return store.CopyHouses(ctx, tx, g.houses()) }},
			{"premises", func() (int64, error) { return store.CopyPremises(ctx, tx, g.premises()) }},
			{"accounts", func() (int64, error) { return store.CopyAccounts(ctx, tx, g.accounts()) }},
			{"meters", func() (int64, error) { return store.CopyMeters(ctx, tx, g.meters()) }},
			{"readings", func() (int64, error) { return store.CopyReadings(ctx, tx, g.readings()) }},
			{"charges", func() (int64, error) { return store.CopyCharges(ctx, tx, g.charges()) }},
			{"payments", func() (int64, error) { return store.CopyPayments(ctx, tx, g.payments()) }},
			{"payment_documents", func() (int64, error) { return store.CopyPaymentDocuments(ctx, tx, g.documents()) }},
		}
		tables := make([]string, len(steps))
		for i, s := range steps {
			tables[i] = s.name
		}
		err := store.WithForeignKeysDeferred(ctx, tx, tables, func() error {
			for _, s := range steps {
				t := time.Now()
				n, err := s.copy()
				if err != nil {
					return fmt.Errorf("load demo %s: %w", s.name, err)
				}
				res.Counts[s.name] = n
				logger.Info("demo: loaded", "table", s.name, "rows", n, "took", time.Since(t).Round(time.Millisecond))
			}
			return nil
		})
		if err != nil {
			return err
		}
		return store.RecordDemoLoad(ctx, tx, store.DemoLoad{Seed: opts.Seed, Accounts: opts.Accounts, Months: opts.Months,
			Duration: time.Since(start)})
	})
	if err != nil {
		return Result{}, err
	}
	if err := store.Analyze(ctx, pool); err != nil {
		return Result{}, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

// Layout constants of the demo center.
const (
	flatsPerHouse  = 100
	managementOrgs = 2
)

// generator derives every row from the options; it holds only ids.
type generator struct {
	o       Options
	periods []time.Time
	nHouses int

	orgID0, houseID0, premisesID0, accountID0, serviceID0, meterID0 int64
}

func newGenerator(o Options) *generator {
	g := &generator{o: o, nHouses: (o.Accounts + flatsPerHouse - 1) / flatsPerHouse}
	for i := o.Months - 1; i >= 0; i-- {
		g.periods = append(g.periods, o.Until.AddDate(0, -i, 0))
	}
	return g
}

func (g *generator) reserve(ctx context.Context, tx pgx.Tx) error {
	var err error
	ids := []struct {
		table string
		n     int64
		dst   *int64
	}{
		{"organizations", int64(len(orgs)), &g.orgID0},
		{"services", int64(managementOrgs * len(serviceDefs)), &g.serviceID0},
		{"houses", int64(g.nHouses + len(sampleHouses)), &g.houseID0},
		{"premises", int64(g.o.Accounts + len(sampleAccounts)), &g.premisesID0},
		{"accounts", int64(g.o.Accounts + len(sampleAccounts)), &g.accountID0},
		{"meters", int64(g.o.Accounts*len(meterResources) + sampleMeterCount()), &g.meterID0},
	}
	for _, r := range ids {
		if *r.dst, err = store.ReserveIDs(ctx, tx, r.table, r.n); err != nil {
			return err
		}
	}
	return nil
}

type orgDef struct {
	name, short, inn, kpp, ogrn, role string
	address                           string
	bank                              bankDef
}

// bankDef is an organization's bank and settlement account, printed on its payment documents.
type bankDef struct{ name, bik, corr, account string }

// The demo's banks; the first management company's account is the one the GIS ZhKH demo configuration names.
var (
	sberPerm   = bankDef{"Западно-Уральский банк ПАО Сбербанк", "045773603", "30101810900000000603", ""}
	alfaMoscow = bankDef{"АО «Альфа-Банк»", "044525593", "30101810200000000593", ""}
)

func withAccount(b bankDef, account string) bankDef { b.account = account; return b }

var orgs = []orgDef{
	{"Общество с ограниченной ответственностью «Управляющая компания «Жилкомфорт»", "ООО «УК «Жилкомфорт»", "5902123458", "590201001", "1025900512345", "management",
		"614000, г. Пермь, ул. Ленина, д. 50, оф. 12", withAccount(sberPerm, "40702810049770012345")},
	{"Общество с ограниченной ответственностью «Управляющая компания «Северный квартал»", "ООО «УК «Северный квартал»", "5904345670", "590401001", "1045900123456", "management",
		"614068, г. Пермь, ул. Екатерининская, д. 120", withAccount(sberPerm, "40702810849770067890")},
	{"Акционерное общество «Теплоэнергосбыт»", "АО «Теплоэнергосбыт»", "5905012348", "590501001", "1025901234567", "supplier",
		"614990, г. Пермь, ул. Героев Хасана, д. 7а", withAccount(alfaMoscow, "40702810800000012345")},
	{"Общество с ограниченной ответственностью «Расчётный центр «Город»", "ООО «РЦ «Город»", "5902987651", "590201001", "1115902000123", "settlement",
		"614015, г. Пермь, ул. Пушкина, д. 15", withAccount(sberPerm, "40702810949770054321")},
}

func (g *generator) organizations() iter.Seq[model.Organization] {
	return func(yield func(model.Organization) bool) {
		for i, o := range orgs {
			ppa := g.uuid("org-ppa", i)
			if !yield(model.Organization{ID: g.orgID0 + int64(i), Name: o.name, ShortName: o.short, INN: o.inn, KPP: o.kpp,
				OGRN: o.ogrn, Role: o.role, GISOrgPPAGUID: &ppa, Address: o.address,
				BankName: o.bank.name, BIK: o.bank.bik, SettlementAccount: o.bank.account, CorrAccount: o.bank.corr}) {
				return
			}
		}
	}
}

// serviceDef is a billed service; rates are rubles × 10⁴, norms units × 10⁶.
type serviceDef struct {
	code, name, unit, kind string
	nsiRegistry            int
	nsiCode                string
	rate                   int64 // per unit, scale 4
	norm                   int64 // scale 6; 0 when none
}

var serviceDefs = []serviceDef{
	{"maintenance", "Содержание и ремонт жилого помещения", "м²", "housing", 50, "1", 28_5000, 0},
	{"cold_water", "Холодное водоснабжение", "м³", "utility", 51, "1", 48_2000, 4_900000},
	{"hot_water", "Горячее водоснабжение", "м³", "utility", 51, "2", 235_1000, 3_500000},
	{"wastewater", "Водоотведение", "м³", "utility", 51, "3", 38_7000, 8_400000},
	{"heating", "Отопление", "Гкал", "utility", 51, "6", 2450_6500, 18600},
	{"electricity", "Электроснабжение", "кВт·ч", "utility", 51, "4", 5_8300, 90_000000},
	{"waste", "Обращение с твёрдыми коммунальными отходами", "чел.", "utility", 51, "17", 120_4500, 0},
	{"capital_repair", "Взнос на капитальный ремонт", "м²", "capital_repair", 0, "", 12_8500, 0},
	{"intercom", "Обслуживание домофона", "кв.", "other", 0, "", 45_0000, 0},
}

func (g *generator) serviceID(org, svc int) int64 {
	return g.serviceID0 + int64(org*len(serviceDefs)+svc)
}

func (g *generator) services() iter.Seq[model.Service] {
	return func(yield func(model.Service) bool) {
		for org := range managementOrgs {
			for i, s := range serviceDefs {
				if !yield(model.Service{ID: g.serviceID(org, i), OrgID: g.orgID0 + int64(org), Code: s.code, Name: s.name,
					Unit: s.unit, Kind: s.kind, NSIRegistry: s.nsiRegistry, NSICode: s.nsiCode}) {
					return
				}
			}
		}
	}
}

// indexation is the July tariff increase, in percent × 10.
const indexation = 99

// rateAt returns the rate (scale 4) of service svc in period p: tariffs go up
// by 9.9% every July, rounded to whole kopecks as tariff decisions publish them.
func (g *generator) rateAt(svc int, p time.Time) int64 {
	rate := serviceDefs[svc].rate
	for y := g.periods[0].Year(); y <= p.Year(); y++ {
		july := time.Date(y, time.July, 1, 0, 0, 0, 0, time.UTC)
		if !p.Before(july) && !july.Before(g.periods[0]) {
			rate = (rate*(1000+indexation)/1000 + 50) / 100 * 100
		}
	}
	return rate
}

func (g *generator) tariffs() iter.Seq[model.Tariff] {
	return func(yield func(model.Tariff) bool) {
		for org := range managementOrgs {
			for i, s := range serviceDefs {
				var from time.Time
				var prev *model.Tariff
				for _, p := range g.periods {
					r := g.rateAt(i, p)
					if prev != nil && prev.Rate.Units == r {
						continue
					}
					from = p
					if prev != nil {
						end := from.AddDate(0, 0, -1)
						prev.ValidTo = &end
						if !yield(*prev) {
							return
						}
					}
					t := model.Tariff{ServiceID: g.serviceID(org, i), ValidFrom: from, Rate: model.Decimal{Units: r, Scale: 4}}
					if s.norm > 0 {
						t.Norm = &model.Decimal{Units: s.norm, Scale: 6}
					}
					prev = &t
				}
				if prev != nil && !yield(*prev) {
					return
				}
			}
		}
	}
}

func (g *generator) houseOrg(h int) int { return h % managementOrgs }

func (g *generator) houseAddress(h int) (string, city) {
	c := cities[h%len(cities)]
	k := h / len(cities)
	street := streets[k%len(streets)]
	num := k/len(streets) + 1
	return fmt.Sprintf("%s%03d, %s, %s, %s, д. %d", c.postcode, h%1000, c.region, c.name, street, num), c
}

func (g *generator) houses() iter.Seq[model.House] {
	return func(yield func(model.House) bool) {
		for h := range g.nHouses {
			r := g.rng("house", h)
			addr, c := g.houseAddress(h)
			floors := 5 + r.IntN(12)
			if !yield(model.House{ID: g.houseID0 + int64(h), OrgID: g.orgID0 + int64(g.houseOrg(h)), Address: addr,
				FIASHouseGUID: g.uuid("fias-house", h), OKTMO: c.oktmo, Floors: floors, BuiltYear: 1960 + r.IntN(64),
				TotalArea: model.Decimal{Units: int64(flatsPerHouse) * 5500, Scale: 2}}) {
				return
			}
		}
		for i, addr := range sampleHouses {
			if !yield(model.House{ID: g.houseID0 + int64(g.nHouses+i), OrgID: g.orgID0, Address: addr,
				FIASHouseGUID: g.uuid("sample-house", i), OKTMO: cities[0].oktmo, Floors: 9, BuiltYear: 1985,
				TotalArea: model.Decimal{Units: 540000, Scale: 2}}) {
				return
			}
		}
	}
}

func (g *generator) premises() iter.Seq[model.Premises] {
	return func(yield func(model.Premises) bool) {
		for a := range g.o.Accounts {
			acc := g.account(a)
			if !yield(model.Premises{ID: g.premisesID0 + int64(a), HouseID: g.houseID0 + int64(a/flatsPerHouse),
				Number: fmt.Sprint(a%flatsPerHouse + 1), Kind: "residential", TotalArea: acc.area, Rooms: acc.rooms}) {
				return
			}
		}
		for j, sa := range sampleAccounts {
			if !yield(model.Premises{ID: g.premisesID0 + int64(g.o.Accounts+j), HouseID: g.houseID0 + int64(g.nHouses+sa.house),
				Number: sa.flat, Kind: "residential", TotalArea: model.Decimal{Units: 5400, Scale: 2}, Rooms: 2}) {
				return
			}
		}
	}
}

func (g *generator) accounts() iter.Seq[model.Account] {
	return func(yield func(model.Account) bool) {
		for a := range g.o.Accounts {
			acc := g.account(a)
			if !yield(model.Account{ID: g.accountID0 + int64(a), OrgID: g.orgID0 + int64(g.houseOrg(a/flatsPerHouse)),
				PremisesID: g.premisesID0 + int64(a), Number: AccountNumber(a), PayerName: acc.payer,
				TotalArea: acc.area, ResidentsCount: acc.residents, OpenedOn: acc.opened}) {
				return
			}
		}
		for j, sa := range sampleAccounts {
			if !yield(model.Account{ID: g.accountID0 + int64(g.o.Accounts+j), OrgID: g.orgID0, PremisesID: g.premisesID0 + int64(g.o.Accounts+j),
				Number: sa.number, PayerName: sa.payer, TotalArea: model.Decimal{Units: 5400, Scale: 2}, ResidentsCount: 2,
				OpenedOn: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)}) {
				return
			}
		}
	}
}

// AccountNumber is the demo account number of account index a: ten digits
// with leading zeros, as many centers print them.
func AccountNumber(a int) string { return fmt.Sprintf("%010d", 100000+a) }

var meterResources = []struct{ resource, place string }{
	{"cold_water", "санузел"}, {"hot_water", "санузел"}, {"electricity", "лестничная площадка"},
}

func (g *generator) meters() iter.Seq[model.Meter] {
	return func(yield func(model.Meter) bool) {
		for a := range g.o.Accounts {
			acc := g.account(a)
			for m, mr := range meterResources {
				installed := acc.meterInstalled
				verified := g.lastVerification(installed)
				if !yield(model.Meter{ID: g.meterID(a, m), PremisesID: g.premisesID0 + int64(a), AccountID: g.accountID0 + int64(a),
					Number: fmt.Sprintf("%02d%08d", m+1, 1000000+a*7+m), Resource: mr.resource, Place: mr.place, TariffZones: 1,
					InstalledOn: installed, VerifiedOn: verified, NextVerifyOn: verified.AddDate(verificationYears, 0, 0)}) {
					return
				}
			}
		}
		k := 0
		installed := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
		for j, sa := range sampleAccounts {
			for _, m := range sa.meters {
				if !yield(model.Meter{ID: g.meterID0 + int64(g.o.Accounts*len(meterResources)+k), PremisesID: g.premisesID0 + int64(g.o.Accounts+j),
					AccountID: g.accountID0 + int64(g.o.Accounts+j), Number: m.number, Resource: m.resource, Place: "санузел", TariffZones: 1,
					InstalledOn: installed, VerifiedOn: g.lastVerification(installed), NextVerifyOn: g.lastVerification(installed).AddDate(verificationYears, 0, 0)}) {
					return
				}
				k++
			}
		}
	}
}

// verificationYears is the demo meters' verification interval (water meters: 6 years).
const verificationYears = 6

// lastVerification is the newest verification of a meter installed (and first verified) on
// installed, verified again every verificationYears, up to the last billed month: so demo meters
// are in service, and those verified long ago come due in the months after it.
func (g *generator) lastVerification(installed time.Time) time.Time {
	v := installed
	for !v.AddDate(verificationYears, 0, 0).After(g.o.Until) {
		v = v.AddDate(verificationYears, 0, 0)
	}
	return v
}

// sampleHouses and sampleAccounts are the houses and accounts paid in the
// sample bank registries the project ships (spec/samples/synthetic), so
// that importing those samples into the demo posts them; meters 101 and
// 102 take the readings of the 17-field sample.
var sampleHouses = []string{
	"400000, Тестовская обл., г. Тестоград, ул. Примерная, д. 1",
	"400000, Тестовская обл., г. Тестоград, ул. Образцовая, д. 7",
}

type sampleMeter struct{ number, resource string }

var sampleAccounts = []struct {
	house               int
	flat, number, payer string
	meters              []sampleMeter
}{
	{0, "12", "1002003004", "Иванов Иван Иванович", []sampleMeter{{"101", "cold_water"}, {"102", "hot_water"}}},
	{0, "13", "1002003005", "Петрова Анна Сергеевна", nil},
	{1, "3", "1002003117", "Сидоров Пётр Кузьмич", nil},
}

func sampleMeterCount() int {
	n := 0
	for _, sa := range sampleAccounts {
		n += len(sa.meters)
	}
	return n
}

func (g *generator) meterID(a, m int) int64 { return g.meterID0 + int64(a*len(meterResources)+m) }

func (g *generator) readings() iter.Seq[model.Reading] {
	return func(yield func(model.Reading) bool) {
		for a := range g.o.Accounts {
			h := g.history(a)
			for m := range meterResources {
				if !yield(model.Reading{MeterID: g.meterID(a, m), TakenOn: g.periods[0].AddDate(0, 0, -12),
					Value: model.Decimal{Units: h.start[m], Scale: 3}, Source: "initial"}) {
					return
				}
				for i, p := range g.periods {
					if !yield(model.Reading{MeterID: g.meterID(a, m), TakenOn: p.AddDate(0, 0, 19),
						Value: model.Decimal{Units: h.reading[i][m], Scale: 3}, Source: "resident"}) {
						return
					}
				}
			}
		}
	}
}

func (g *generator) charges() iter.Seq[model.Charge] {
	return func(yield func(model.Charge) bool) {
		for a := range g.o.Accounts {
			h := g.history(a)
			org := g.houseOrg(a / flatsPerHouse)
			for i, p := range g.periods {
				for s := range serviceDefs {
					c := h.charges[i][s]
					c.AccountID, c.ServiceID, c.Period = g.accountID0+int64(a), g.serviceID(org, s), p
					if !yield(c) {
						return
					}
				}
			}
		}
	}
}

func (g *generator) payments() iter.Seq[model.Payment] {
	return func(yield func(model.Payment) bool) {
		for a := range g.o.Accounts {
			h := g.history(a)
			acc := g.account(a)
			for _, pm := range h.payments {
				pm.AccountID, pm.PayerName = g.accountID0+int64(a), acc.payer
				if !yield(pm) {
					return
				}
			}
		}
	}
}

func (g *generator) documents() iter.Seq[model.PaymentDocument] {
	return func(yield func(model.PaymentDocument) bool) {
		for a := range g.o.Accounts {
			h := g.history(a)
			for _, d := range h.documents {
				d.AccountID = g.accountID0 + int64(a)
				if !yield(d) {
					return
				}
			}
		}
	}
}

func (g *generator) rng(kind string, i int) *rand.Rand {
	s := sha1.Sum([]byte(kind))
	k := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
	return rand.New(rand.NewPCG(uint64(g.o.Seed)^k, uint64(i)))
}

// uuid derives a stable UUID for object i of a kind from the seed.
func (g *generator) uuid(kind string, i int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "zhkhgate-demo/%d/%s/%d", g.o.Seed, kind, i))
}
