package penalty

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Category selects the rule set of a debt: housing and utilities (ЖК РФ ст. 155 ч. 14) or capital repair
// contributions (ч. 14.1). A table may define more categories; these two are the default table's.
type Category string

// The categories of the default table.
const (
	Housing       Category = "housing"
	CapitalRepair Category = "capital_repair"
)

// Mode says how a regime turns the key rate into the rate of a penalty day.
type Mode string

// The regime modes.
const (
	// Statutory is ЖК РФ ст. 155 as written: the key rate.
	Statutory Mode = "statutory"
	// Fixed is a fixed rate whatever the key rate (ПП № 474 for 2022).
	Fixed Mode = "fixed"
	// MinCap is the key rate, but not above the regime's percent (ПП № 1681, ПП № 329).
	MinCap Mode = "min_cap"
)

// KeyRateOn says which day's key rate a regime reads.
type KeyRateOn string

// The key-rate days.
const (
	// OnPayment reads the key rate in force on the day the amount is paid, or on the calculation day for an
	// amount still unpaid: the words "действующей на день фактической оплаты" of ст. 155 ч. 14.
	OnPayment KeyRateOn = "payment"
	// OnEachDay reads the key rate in force on each penalty day (the ГК 395 way); kept for tables that need it.
	OnEachDay KeyRateOn = "each_day"
)

//go:embed rules.json
var defaultJSON []byte

// maxTableBytes bounds a rules file: the real one is a few kilobytes.
const maxTableBytes = 1 << 20

// rateScale is the number of rate units in one percent: rates are kept exactly as integers of 1/10 000 %.
const rateScale = 10_000

// Rules is a loaded, validated penalty table. It is immutable and safe for concurrent use.
type Rules struct {
	// Name is the table's own description (its legal basis and date).
	Name string
	// KeyRatesKnownUntil is the last day the key-rate series is known to be complete for; Compute refuses a
	// calculation that needs a later day's key rate.
	KeyRatesKnownUntil time.Time

	knownUntil int32
	keyFrom    []int32 // days the key rate changed, increasing
	keyRate    []int64 // the key rate from keyFrom[i], in rate units
	keyStr     []string
	cats       map[Category]*category
	lcm        int64 // least common multiple of every band divisor
}

// category is one rule set with the regimes and moratoria that apply to it.
type category struct {
	name      Category
	due       []dueRule
	bands     []bandSet
	regimes   []regime
	moratoria []moratorium
}

type dueRule struct {
	fromPeriod int32 // month number: year*12 + month-1
	day        int
}

type bandSet struct {
	fromPeriod int32
	steps      []step
}

type step struct {
	fromDay int32 // first day after the due date (day 1 is the day after it)
	divisor int64
	mul     int64 // lcm / divisor
}

type regime struct {
	from   int32
	mode   Mode
	cap    int64 // rate units, for Fixed and MinCap
	capStr string
	keyOn  KeyRateOn
	basis  string
}

type moratorium struct {
	from, to    int32 // inclusive days
	debtsBefore int32 // month number; 0: every debt
	basis       string
}

// The file format. Field names are the stored format: keep the JSON tags stable.
type fileRules struct {
	Name               string                  `json:"name"`
	KeyRatesKnownUntil string                  `json:"key_rates_known_until"`
	KeyRates           []fileKeyRate           `json:"key_rates"`
	Regimes            []fileRegime            `json:"regimes"`
	Moratoria          []fileMoratorium        `json:"moratoria"`
	Categories         map[string]fileCategory `json:"categories"`
}

type fileKeyRate struct {
	From    string `json:"from"`
	Percent string `json:"percent"`
}

type fileRegime struct {
	From       string   `json:"from"`
	Mode       string   `json:"mode"`
	Percent    string   `json:"percent,omitempty"`
	KeyRateOn  string   `json:"key_rate_on,omitempty"`
	Categories []string `json:"categories,omitempty"`
	Basis      string   `json:"basis,omitempty"`
}

type fileMoratorium struct {
	From        string   `json:"from"`
	To          string   `json:"to"`
	DebtsBefore string   `json:"debts_before,omitempty"`
	Categories  []string `json:"categories,omitempty"`
	Basis       string   `json:"basis,omitempty"`
}

type fileCategory struct {
	Due   []fileDue  `json:"due"`
	Bands []fileBand `json:"bands"`
}

type fileDue struct {
	FromPeriod string `json:"from_period"`
	Day        int    `json:"day"`
}

type fileBand struct {
	FromPeriod string     `json:"from_period"`
	Steps      []fileStep `json:"steps"`
}

type fileStep struct {
	FromDay int `json:"from_day"`
	Divisor int `json:"divisor"`
}

// Default returns the embedded table (rules.json beside this file). It is checked by the tests, so a failure
// to load it is a build defect, reported as a panic at the first call.
func Default() *Rules {
	r, err := Load(bytes.NewReader(defaultJSON))
	if err != nil {
		panic("penalty: embedded rules.json: " + err.Error())
	}
	return r
}

// Load reads and validates a table. Errors are apperr.Invalid and name the line and the field, e.g.
// "line 12: regimes[2].percent: ...".
func Load(rd io.Reader) (*Rules, error) {
	const op = "load penalty rules"
	data, err := io.ReadAll(io.LimitReader(rd, maxTableBytes+1))
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, op, err)
	}
	if len(data) > maxTableBytes {
		return nil, apperr.Invalidf(op, "the table is over %d bytes", maxTableBytes)
	}
	var f fileRules
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, apperr.Invalidf(op, "%s", jsonError(data, err))
	}
	if dec.More() {
		return nil, apperr.Invalidf(op, "line %d: data after the table's object", lineAt(data, dec.InputOffset()))
	}
	r, ferr := build(&f)
	if ferr != nil {
		if line := lineOfPath(data, ferr.path); line > 0 {
			return nil, apperr.Invalidf(op, "line %d: %s: %s", line, ferr.path, ferr.msg)
		}
		return nil, apperr.Invalidf(op, "%s: %s", ferr.path, ferr.msg)
	}
	return r, nil
}

// fieldError names the JSON path of a semantic error; Load turns the path into a line.
type fieldError struct{ path, msg string }

func ferrf(path, format string, args ...any) *fieldError {
	return &fieldError{path: path, msg: fmt.Sprintf(format, args...)}
}

func build(f *fileRules) (*Rules, *fieldError) {
	r := &Rules{Name: f.Name, cats: map[Category]*category{}}
	if f.KeyRatesKnownUntil == "" {
		return nil, ferrf("key_rates_known_until", "missing: the last day the key-rate series is complete for")
	}
	ku, err := parseDay(f.KeyRatesKnownUntil)
	if err != nil {
		return nil, ferrf("key_rates_known_until", "%v", err)
	}
	r.knownUntil, r.KeyRatesKnownUntil = ku, dayTime(ku)
	if len(f.KeyRates) == 0 {
		return nil, ferrf("key_rates", "missing: at least one key rate")
	}
	for i, k := range f.KeyRates {
		p := fmt.Sprintf("key_rates[%d]", i)
		d, err := parseDay(k.From)
		if err != nil {
			return nil, ferrf(p+".from", "%v", err)
		}
		if i > 0 && d <= r.keyFrom[i-1] {
			return nil, ferrf(p+".from", "%s is not after the previous entry's date", k.From)
		}
		v, err := parseRate(k.Percent)
		if err != nil {
			return nil, ferrf(p+".percent", "%v", err)
		}
		r.keyFrom, r.keyRate, r.keyStr = append(r.keyFrom, d), append(r.keyRate, v), append(r.keyStr, formatRate(v))
	}
	if ku < r.keyFrom[len(r.keyFrom)-1] {
		return nil, ferrf("key_rates_known_until", "%s is before the last key rate's date", f.KeyRatesKnownUntil)
	}

	if len(f.Categories) == 0 {
		return nil, ferrf("categories", "missing: at least one category (e.g. %q)", Housing)
	}
	r.lcm = 1
	for _, name := range slices.Sorted(mapsKeys(f.Categories)) {
		fc := f.Categories[name]
		p := "categories." + name
		if name == "" {
			return nil, ferrf(p, "a category needs a name")
		}
		c := &category{name: Category(name)}
		if len(fc.Due) == 0 {
			return nil, ferrf(p+".due", "missing: at least one due-date rule")
		}
		for i, d := range fc.Due {
			q := fmt.Sprintf("%s.due[%d]", p, i)
			m, err := parsePeriod(d.FromPeriod)
			if err != nil {
				return nil, ferrf(q+".from_period", "%v", err)
			}
			if i > 0 && m <= c.due[i-1].fromPeriod {
				return nil, ferrf(q+".from_period", "%s is not after the previous rule's period", d.FromPeriod)
			}
			if d.Day < 1 || d.Day > 31 {
				return nil, ferrf(q+".day", "%d: want a day of the month, 1 to 31", d.Day)
			}
			c.due = append(c.due, dueRule{fromPeriod: m, day: d.Day})
		}
		if len(fc.Bands) == 0 {
			return nil, ferrf(p+".bands", "missing: at least one band set")
		}
		for i, b := range fc.Bands {
			q := fmt.Sprintf("%s.bands[%d]", p, i)
			m, err := parsePeriod(b.FromPeriod)
			if err != nil {
				return nil, ferrf(q+".from_period", "%v", err)
			}
			if i > 0 && m <= c.bands[i-1].fromPeriod {
				return nil, ferrf(q+".from_period", "%s is not after the previous band set's period", b.FromPeriod)
			}
			if len(b.Steps) == 0 {
				return nil, ferrf(q+".steps", "missing: at least one step")
			}
			bs := bandSet{fromPeriod: m}
			for j, s := range b.Steps {
				sp := fmt.Sprintf("%s.steps[%d]", q, j)
				if s.FromDay < 1 || s.FromDay > 36600 {
					return nil, ferrf(sp+".from_day", "%d: want 1 (the day after the due date) to 36600", s.FromDay)
				}
				if j > 0 && int32(s.FromDay) <= bs.steps[j-1].fromDay {
					return nil, ferrf(sp+".from_day", "%d is not after the previous step's day", s.FromDay)
				}
				if s.Divisor < 1 || s.Divisor > 100_000 {
					return nil, ferrf(sp+".divisor", "%d: want 1 to 100000 (300 for 1/300)", s.Divisor)
				}
				bs.steps = append(bs.steps, step{fromDay: int32(s.FromDay), divisor: int64(s.Divisor)})
				r.lcm = lcm(r.lcm, int64(s.Divisor))
				if r.lcm > 1_000_000 {
					return nil, ferrf(sp+".divisor", "the divisors' common multiple is over 1000000")
				}
			}
			c.bands = append(c.bands, bs)
		}
		r.cats[c.name] = c
	}
	for _, c := range r.cats {
		for i := range c.bands {
			for j := range c.bands[i].steps {
				s := &c.bands[i].steps[j]
				s.mul = r.lcm / s.divisor
			}
		}
	}

	if len(f.Regimes) == 0 {
		return nil, ferrf("regimes", "missing: at least one regime")
	}
	var prev int32
	for i, g := range f.Regimes {
		p := fmt.Sprintf("regimes[%d]", i)
		d, err := parseDay(g.From)
		if err != nil {
			return nil, ferrf(p+".from", "%v", err)
		}
		if i > 0 && d <= prev {
			return nil, ferrf(p+".from", "%s is not after the previous regime's date", g.From)
		}
		prev = d
		rg := regime{from: d, mode: Mode(g.Mode), keyOn: KeyRateOn(g.KeyRateOn), basis: g.Basis}
		switch rg.mode {
		case Statutory:
			if g.Percent != "" {
				return nil, ferrf(p+".percent", "a statutory regime takes the key rate; remove the percent")
			}
		case Fixed, MinCap:
			if rg.cap, err = parseRate(g.Percent); err != nil {
				return nil, ferrf(p+".percent", "%v", err)
			}
			rg.capStr = formatRate(rg.cap)
		default:
			return nil, ferrf(p+".mode", "%q: want %q, %q or %q", g.Mode, Statutory, Fixed, MinCap)
		}
		switch rg.keyOn {
		case "":
			rg.keyOn = OnPayment
		case OnPayment, OnEachDay:
		default:
			return nil, ferrf(p+".key_rate_on", "%q: want %q or %q", g.KeyRateOn, OnPayment, OnEachDay)
		}
		cs, fe := r.categoriesOf(g.Categories, p+".categories")
		if fe != nil {
			return nil, fe
		}
		for _, c := range cs {
			c.regimes = append(c.regimes, rg)
		}
	}
	for i, m := range f.Moratoria {
		p := fmt.Sprintf("moratoria[%d]", i)
		from, err := parseDay(m.From)
		if err != nil {
			return nil, ferrf(p+".from", "%v", err)
		}
		to, err := parseDay(m.To)
		if err != nil {
			return nil, ferrf(p+".to", "%v", err)
		}
		if to < from {
			return nil, ferrf(p+".to", "%s is before from %s", m.To, m.From)
		}
		mo := moratorium{from: from, to: to, basis: m.Basis}
		if m.DebtsBefore != "" {
			if mo.debtsBefore, err = parsePeriod(m.DebtsBefore); err != nil {
				return nil, ferrf(p+".debts_before", "%v", err)
			}
		}
		cs, fe := r.categoriesOf(m.Categories, p+".categories")
		if fe != nil {
			return nil, fe
		}
		for _, c := range cs {
			c.moratoria = append(c.moratoria, mo)
		}
	}
	for _, c := range r.cats {
		if len(c.regimes) == 0 {
			return nil, ferrf("regimes", "no regime applies to category %q", c.name)
		}
	}
	return r, nil
}

// categoriesOf resolves a regime's or moratorium's category list; empty means every category.
func (r *Rules) categoriesOf(names []string, path string) ([]*category, *fieldError) {
	if len(names) == 0 {
		out := make([]*category, 0, len(r.cats))
		for _, k := range slices.Sorted(mapsKeys(r.cats)) {
			out = append(out, r.cats[k])
		}
		return out, nil
	}
	var out []*category
	for i, n := range names {
		c, ok := r.cats[Category(n)]
		if !ok {
			return nil, ferrf(fmt.Sprintf("%s[%d]", path, i), "unknown category %q (the table defines %v)", n, slices.Sorted(mapsKeys(r.cats)))
		}
		out = append(out, c)
	}
	return out, nil
}

// Categories lists the table's categories, sorted.
func (r *Rules) Categories() []Category { return slices.Sorted(mapsKeys(r.cats)) }

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func lcm(a, b int64) int64 {
	x, y := a, b
	for y != 0 {
		x, y = y, x%y
	}
	return a / x * b
}

// parseRate reads a percent such as "9.5" or "16.50" exactly into rate units (1/10 000 %): 0 < rate ≤ 100.
func parseRate(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("missing: a percent such as \"9.5\"")
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 3 || (dot && (frac == "" || len(frac) > 4)) || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("%q: want a percent with a dot and at most 4 decimals, e.g. \"9.5\"", s)
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	v := w * rateScale
	if frac != "" {
		f, _ := strconv.ParseInt(frac+strings.Repeat("0", 4-len(frac)), 10, 64)
		v += f
	}
	if v <= 0 || v > 100*rateScale {
		return 0, fmt.Errorf("%q: want a percent above 0 and at most 100", s)
	}
	return v, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatRate prints rate units as a percent without trailing zeros: 95000 → "9.5".
func formatRate(v int64) string {
	s := strconv.FormatInt(v/rateScale, 10)
	if f := v % rateScale; f != 0 {
		s += "." + strings.TrimRight(fmt.Sprintf("%04d", f), "0")
	}
	return s
}

// The table's dates are civil days; they are kept as day numbers since 1970-01-01.
const minYear, maxYear = 1990, 2200

func parseDay(s string) (int32, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a date YYYY-MM-DD", s)
	}
	if t.Year() < minYear || t.Year() > maxYear {
		return 0, fmt.Errorf("%q: want a year from %d to %d", s, minYear, maxYear)
	}
	return dayOf(t), nil
}

func parsePeriod(s string) (int32, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a month YYYY-MM", s)
	}
	if t.Year() < minYear || t.Year() > maxYear {
		return 0, fmt.Errorf("%q: want a year from %d to %d", s, minYear, maxYear)
	}
	return monthOf(t), nil
}

// jsonError turns an encoding/json error into "line N: ...".
func jsonError(data []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("line %d: %v", lineAt(data, syn.Offset), syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the table"
		}
		return fmt.Sprintf("line %d: %s: %s where %s is wanted", lineAt(data, typ.Offset), field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF):
		return "empty: want a JSON object"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("line %d: the table ends in the middle", lineAt(data, int64(len(data))))
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		name = strings.TrimSuffix(name, `"`)
		for path, line := range linesByPath(data) {
			if path == name || strings.HasSuffix(path, "."+name) {
				return fmt.Sprintf("line %d: %s: unknown field", line, path)
			}
		}
		return fmt.Sprintf("%s: unknown field", name)
	}
	return msg
}

// lineOfPath returns the line of a path's value, or of its nearest parent present (a missing field is
// reported on its object's line); 0 if none is.
func lineOfPath(data []byte, path string) int {
	lines := linesByPath(data)
	for path != "" {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte{'\n'})
}

// linesByPath maps every value's JSON path (regimes[2].percent, categories.housing.due[0]) to its line. It
// runs only on the error path, over input that already decoded.
func linesByPath(data []byte) map[string]int {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	out := map[string]int{}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.obj {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				fmt.Fprintf(&b, "[%d]", f.idx)
			}
		}
		return b.String()
	}
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].obj {
				stack[n-1].wantKey = true
			} else {
				stack[n-1].idx++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := dec.Token()
		if err != nil {
			return out
		}
		line := lineAt(data, dec.InputOffset())
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			afterValue()
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].wantKey {
			stack[n-1].key, _ = tok.(string)
			stack[n-1].wantKey = false
			continue
		}
		out[path()] = line
		if isDelim {
			stack = append(stack, frame{obj: d == '{', wantKey: d == '{'})
			continue
		}
		afterValue()
	}
}

// DueDate is the day a period's bill of category cat is due by under the
// table's due-date rules (the 10th of the next month, the 15th for periods
// from February 2026 on in the default table): the date a payment document
// prints and a reminder counts down to.
func (r *Rules) DueDate(cat Category, period time.Time) (time.Time, error) {
	c, ok := r.cats[cat]
	if !ok {
		return time.Time{}, apperr.Invalidf("penalty due date", "category %q is not in the table", cat)
	}
	p := monthOf(period)
	rule, ok := findFrom(c.due, p, func(u dueRule) int32 { return u.fromPeriod })
	if !ok {
		return time.Time{}, apperr.Invalidf("penalty due date", "period %s: the table's %s due-date rules start later", period.Format("2006-01"), c.name)
	}
	return dayTime(dueDay(p, rule.day)), nil
}
