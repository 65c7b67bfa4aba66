package bank

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"
)

// Column names a profile's column map may use. Positions are 1-based, as
// banks' format descriptions count them.
const (
	ColDate        = "date"         // payment date
	ColTime        = "time"         // payment time
	ColBranch      = "branch"       // bank branch (ОСБ/ВСП)
	ColCashier     = "cashier"      // cashier or terminal
	ColOperationID = "operation_id" // the bank's unique operation number
	ColAccount     = "account"      // the payer's personal account (ЛС)
	ColPayer       = "payer"        // payer's name
	ColAddress     = "address"      // payer's address
	ColPeriod      = "period"       // the month paid for
	ColAmount      = "amount"       // amount paid
	ColTransfer    = "transfer"     // amount the bank transfers to the center
	ColCommission  = "commission"   // bank's commission
	ColChannel     = "channel"      // acceptance channel
	ColOrderNumber = "order_number" // payment order that moves the money
	ColOrderDate   = "order_date"   // its date
)

// Column indexes into Profile.pos, in columnOrder.
const (
	iDate = iota
	iTime
	iBranch
	iCashier
	iOperationID
	iAccount
	iPayer
	iAddress
	iPeriod
	iAmount
	iTransfer
	iCommission
	iChannel
	iOrderNumber
	iOrderDate
	numColumns
)

// columnOrder numbers the column names so a profile keeps their positions
// in an array: the reader looks them up for every field of every line.
var columnOrder = []string{ColDate, ColTime, ColBranch, ColCashier, ColOperationID, ColAccount, ColPayer,
	ColAddress, ColPeriod, ColAmount, ColTransfer, ColCommission, ColChannel, ColOrderNumber, ColOrderDate}

var knownColumns = func() map[string]int {
	m := make(map[string]int, len(columnOrder))
	for i, c := range columnOrder {
		m[c] = i
	}
	return m
}()

// Totals column names.
const (
	TotCount       = "count"
	TotAmount      = "amount"
	TotTransfer    = "transfer"
	TotCommission  = "commission"
	TotOrderNumber = "order_number"
	TotOrderDate   = "order_date"
)

var knownTotalsColumns = map[string]bool{
	TotCount: true, TotAmount: true, TotTransfer: true, TotCommission: true, TotOrderNumber: true, TotOrderDate: true,
}

// Profile describes one registry format: one bank contract's file layout.
// Profiles are versioned: a change of layout is a new version, so every
// stored registry names the exact layout it was read with.
type Profile struct {
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Description string `json:"description,omitempty"`
	// Bank is the source recorded on payments (with the operation id and
	// date it forms the idempotency key), e.g. "sberbank".
	Bank string `json:"bank"`
	// Separator is the one-character field separator.
	Separator string `json:"separator"`
	// Quote, when set, lets a field be quoted so it may hold the separator;
	// a doubled quote inside stands for one.
	Quote string `json:"quote,omitempty"`
	// Encodings the bank may send; the reader detects which one a file is
	// in and rejects a file in any other.
	Encodings []Encoding `json:"encodings"`
	// HeaderLines is a count of leading lines to skip.
	HeaderLines int `json:"header_lines,omitempty"`
	// CommentPrefixes mark lines kept as header/comment text, not parsed.
	CommentPrefixes []string `json:"comment_prefixes,omitempty"`
	// Fields is the number of fields in a payment line.
	Fields int `json:"fields"`
	// TrailingSeparator tolerates one extra empty field at the end.
	TrailingSeparator bool `json:"trailing_separator,omitempty"`
	// Columns maps column names (see Col*) to 1-based positions.
	Columns map[string]int `json:"columns"`
	// Services are optional per-service amounts.
	Services []ServiceColumn `json:"services,omitempty"`
	// Meters describes meter readings carried in the line.
	Meters *MeterColumns `json:"meters,omitempty"`

	DateLayout   Layout `json:"date_layout,omitzero"`
	TimeLayout   Layout `json:"time_layout,omitzero"`
	PeriodLayout Layout `json:"period_layout,omitzero"`
	// OperationDateFromID reads the payment date from the start of the
	// operation id in this layout, for formats without a date column.
	OperationDateFromID Layout       `json:"operation_date_from_id,omitzero"`
	Amounts             AmountSyntax `json:"amounts,omitzero"`
	// CommissionWithheld says whether the bank keeps its commission out of
	// the money it moves (amount = to transfer + commission, the default)
	// or bills it separately (to transfer = amount). Rows that break the
	// contract's rule are posted with a warning.
	CommissionWithheld *bool `json:"commission_withheld,omitempty"`

	Totals *TotalsSpec `json:"totals,omitempty"`

	// MaxLineBytes bounds a line; longer lines are errors, not buffered.
	MaxLineBytes int `json:"max_line_bytes,omitempty"`

	sep, quote byte
	pos        [numColumns]int // 1-based column positions by columnOrder index; 0 = absent
}

// ServiceColumn is a per-service amount column.
type ServiceColumn struct {
	Code   string `json:"code"`
	Column int    `json:"column"`
}

// MeterColumns describes pairs of (meter code; reading) columns.
type MeterColumns struct {
	FirstColumn int `json:"first_column"`
	Pairs       int `json:"pairs"`
	// Absent lists values meaning "no meter/no reading" besides empty.
	Absent []string `json:"absent,omitempty"`
}

// TotalsSpec describes the totals line.
type TotalsSpec struct {
	// Prefix starts the totals line, e.g. "=" in Sberbank registries; the
	// count field follows it directly.
	Prefix   string         `json:"prefix"`
	Required bool           `json:"required"`
	Columns  map[string]int `json:"columns"`
	// DateLayout of the order date; defaults to the profile's date layout.
	DateLayout Layout `json:"date_layout,omitzero"`
}

// ID is "name@version", the form stored with every registry.
func (p *Profile) ID() string { return fmt.Sprintf("%s@%d", p.Name, p.Version) }

// WithholdsCommission reports the contract's commission rule (default: withheld).
func (p *Profile) WithholdsCommission() bool {
	return p.CommissionWithheld == nil || *p.CommissionWithheld
}

// Has reports whether the profile maps a column.
func (p *Profile) Has(col string) bool { return p.Columns[col] > 0 }

// Limits on what a profile may ask for: a config file must not make the
// reader allocate without bound.
const (
	defaultMaxLine = 64 << 10
	maxLineLimit   = 16 << 20
	maxFields      = 1000
)

// Validate checks a profile and prepares it for reading. It is called by
// the loaders; a hand-built profile must be validated before use.
func (p *Profile) Validate() error {
	var errs []error
	bad := func(f string, a ...any) { errs = append(errs, fmt.Errorf(f, a...)) }
	if p.Name == "" {
		bad("name is empty")
	}
	if p.Version < 1 {
		bad("version must be ≥ 1")
	}
	if p.Bank == "" {
		bad("bank is empty")
	}
	if len(p.Separator) != 1 || p.Separator[0] >= 0x80 || p.Separator == "\n" || p.Separator == "\r" {
		bad("separator must be one ASCII character, got %q", p.Separator)
	} else {
		p.sep = p.Separator[0]
	}
	switch {
	case p.Quote == "":
	case len(p.Quote) != 1 || p.Quote[0] >= 0x80 || p.Quote == p.Separator:
		bad("quote must be one ASCII character other than the separator, got %q", p.Quote)
	default:
		p.quote = p.Quote[0]
	}
	if len(p.Encodings) == 0 {
		bad("encodings is empty")
	}
	for i, e := range p.Encodings {
		n, err := ParseEncoding(string(e))
		if err != nil {
			bad("encodings[%d]: %w", i, err)
		}
		p.Encodings[i] = n
	}
	if p.Fields < 1 || p.Fields > maxFields {
		bad("fields must be between 1 and %d", maxFields)
	}
	if p.HeaderLines < 0 {
		bad("header_lines must be ≥ 0")
	}
	used := map[int]string{}
	use := func(what string, pos int) {
		if pos < 1 || pos > p.Fields {
			bad("%s: column %d outside 1..%d", what, pos, p.Fields)
			return
		}
		if prev, ok := used[pos]; ok {
			bad("%s: column %d is already used by %s", what, pos, prev)
			return
		}
		used[pos] = what
	}
	names := make([]string, 0, len(p.Columns))
	for c := range p.Columns {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		i, ok := knownColumns[c]
		if !ok {
			bad("columns: unknown column %q", c)
			continue
		}
		use(c, p.Columns[c])
		p.pos[i] = p.Columns[c]
	}
	for _, must := range []string{ColOperationID, ColAccount, ColAmount} {
		if !p.Has(must) {
			bad("columns: %q is required", must)
		}
	}
	if !p.Has(ColDate) && p.OperationDateFromID.IsZero() {
		bad("columns: %q is required unless operation_date_from_id is set", ColDate)
	}
	if (p.Has(ColDate) || p.Has(ColOrderDate)) && p.DateLayout.IsZero() {
		bad("date_layout is required")
	}
	if p.Has(ColTime) && p.TimeLayout.IsZero() {
		bad("time_layout is required with a time column")
	}
	if p.Has(ColPeriod) && p.PeriodLayout.IsZero() {
		bad("period_layout is required with a period column")
	}
	for i, s := range p.Services {
		if s.Code == "" {
			bad("services[%d]: code is empty", i)
		}
		use("services["+s.Code+"]", s.Column)
	}
	if m := p.Meters; m != nil {
		if m.Pairs < 1 || 2*m.Pairs > maxFields {
			bad("meters: pairs must be between 1 and %d", maxFields/2)
			m.Pairs = 0
		}
		for i := range m.Pairs {
			use(fmt.Sprintf("meters[%d].code", i+1), m.FirstColumn+2*i)
			use(fmt.Sprintf("meters[%d].value", i+1), m.FirstColumn+2*i+1)
		}
	}
	if t := p.Totals; t != nil {
		if t.Prefix == "" {
			bad("totals: prefix is empty")
		}
		if t.Columns[TotCount] != 1 {
			bad("totals: count must be column 1 (right after the prefix)")
		}
		for c, pos := range t.Columns {
			if !knownTotalsColumns[c] {
				bad("totals: unknown column %q", c)
			}
			if pos < 1 {
				bad("totals: column %q at %d", c, pos)
			}
		}
		if t.DateLayout.IsZero() {
			t.DateLayout = p.DateLayout
		}
		if t.Columns[TotOrderDate] > 0 && t.DateLayout.IsZero() {
			bad("totals: date_layout is required with an order_date column")
		}
	}
	if p.MaxLineBytes == 0 {
		p.MaxLineBytes = defaultMaxLine
	}
	if p.MaxLineBytes < 256 || p.MaxLineBytes > maxLineLimit {
		bad("max_line_bytes must be between 256 and %d", maxLineLimit)
	}
	if len(errs) > 0 {
		return fmt.Errorf("profile %q: %w", p.Name, errors.Join(errs...))
	}
	return nil
}

func (p *Profile) allows(e Encoding) bool {
	for _, x := range p.Encodings {
		if x == e {
			return true
		}
	}
	return false
}

// profileFile is the shape of a profiles file: one profile or a list.
type profileFile struct {
	Profiles []*Profile `json:"profiles"`
}

// ParseProfiles reads operator-defined profiles from JSON: either
// {"profiles": [ ... ]} or a single profile object. Unknown keys are errors,
// so a misspelt option never silently does nothing.
func ParseProfiles(r io.Reader) ([]*Profile, error) {
	data, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read profiles: %w", err)
	}
	var list []*Profile
	if bytes.Contains(data, []byte(`"profiles"`)) {
		var f profileFile
		if err := strictJSON(data, &f); err != nil {
			return nil, fmt.Errorf("parse profiles: %w", err)
		}
		list = f.Profiles
	} else {
		var p Profile
		if err := strictJSON(data, &p); err != nil {
			return nil, fmt.Errorf("parse profile: %w", err)
		}
		list = []*Profile{&p}
	}
	if len(list) == 0 {
		return nil, errors.New("parse profiles: no profile defined")
	}
	for _, p := range list {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func strictJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
			return fmt.Errorf("line %d: %w", line, err)
		}
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

//go:embed profiles/*.json
var builtinFS embed.FS

// Builtin returns fresh copies of the profiles shipped with zhkhgate. They
// are written in the same JSON an operator uses for a new contract.
func Builtin() []*Profile {
	var out []*Profile
	paths, _ := fs.Glob(builtinFS, "profiles/*.json")
	for _, path := range paths {
		f, err := builtinFS.Open(path)
		if err != nil {
			panic(fmt.Sprintf("builtin profile %s: %v", path, err)) // build defect, caught by tests
		}
		ps, err := ParseProfiles(f)
		f.Close()
		if err != nil {
			panic(fmt.Sprintf("builtin profile %s: %v", path, err))
		}
		out = append(out, ps...)
	}
	return out
}

// Set is a collection of profiles looked up by name (latest version) or
// by "name@version".
type Set struct {
	byID   map[string]*Profile
	latest map[string]*Profile
	order  []*Profile
}

// NewSet builds a set; a later profile with the same name and version
// replaces an earlier one, so an operator file can override a built-in.
func NewSet(ps ...*Profile) *Set {
	s := &Set{byID: map[string]*Profile{}, latest: map[string]*Profile{}}
	for _, p := range ps {
		if _, dup := s.byID[p.ID()]; !dup {
			s.order = append(s.order, p)
		} else {
			for i, q := range s.order {
				if q.ID() == p.ID() {
					s.order[i] = p
				}
			}
		}
		s.byID[p.ID()] = p
		if l, ok := s.latest[p.Name]; !ok || p.Version >= l.Version {
			s.latest[p.Name] = p
		}
	}
	return s
}

// LoadSet returns the built-in profiles plus those in the given JSON files.
func LoadSet(files ...string) (*Set, error) {
	ps := Builtin()
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("load profiles: %w", err)
		}
		more, err := ParseProfiles(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("load profiles %s: %w", name, err)
		}
		ps = append(ps, more...)
	}
	return NewSet(ps...), nil
}

// Get finds a profile by "name" (its latest version) or "name@version".
func (s *Set) Get(ref string) (*Profile, error) {
	if strings.Contains(ref, "@") {
		if p, ok := s.byID[ref]; ok {
			return p, nil
		}
	} else if p, ok := s.latest[ref]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown registry profile %q (known: %s)", ref, strings.Join(s.Names(), ", "))
}

// Names lists profile ids in load order.
func (s *Set) Names() []string {
	out := make([]string, len(s.order))
	for i, p := range s.order {
		out[i] = p.ID()
	}
	return out
}

// All returns the profiles in load order.
func (s *Set) All() []*Profile { return append([]*Profile(nil), s.order...) }
