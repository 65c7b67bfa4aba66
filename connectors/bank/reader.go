package bank

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Row is one payment line as the bank wrote it, typed but not yet judged
// against the settlement center's data.
type Row struct {
	Line          int
	Raw           string    // the decoded line
	Date          time.Time // payment date and, when the profile has it, time (UTC civil)
	HasTime       bool
	Branch        string
	Cashier       string
	OperationID   string
	Account       string
	Payer         string
	Address       string
	Period        time.Time // first day of the month paid for; zero when absent
	Amount        int64     // kopecks
	Transfer      int64     // kopecks; valid when HasTransfer
	Commission    int64     // kopecks; valid when HasCommission
	HasTransfer   bool
	HasCommission bool
	Channel       string
	OrderNumber   string
	OrderDate     time.Time
	Services      []ServiceAmount
	Meters        []MeterReading
}

// ServiceAmount is the part of a payment for one service.
type ServiceAmount struct {
	Code   string
	Amount int64 // kopecks
}

// MeterReading is one meter's reading carried in a payment line. Value is
// a normalized decimal ("345.120"): readings are quantities, not money,
// and their scale varies by meter.
type MeterReading struct {
	Code  string
	Value string
}

// Totals is what the totals line declares.
type Totals struct {
	Line          int       `json:"line"`
	Count         int64     `json:"count"`
	Amount        int64     `json:"amount"`
	Transfer      int64     `json:"transfer"`
	Commission    int64     `json:"commission"`
	HasAmount     bool      `json:"has_amount"`
	HasTransfer   bool      `json:"has_transfer"`
	HasCommission bool      `json:"has_commission"`
	OrderNumber   string    `json:"order_number,omitempty"`
	OrderDate     time.Time `json:"order_date,omitzero"`
}

// Sums are the reader's own totals over the payment lines.
type Sums struct {
	Count      int64 `json:"count"`  // payment lines, readable or not
	Amount     int64 `json:"amount"` // kopecks over lines whose amount was readable
	Transfer   int64 `json:"transfer"`
	Commission int64 `json:"commission"`
	// Unreadable counts lines whose amounts could not be read; the sums
	// cannot be checked against the totals line while it is not zero.
	Unreadable int64 `json:"unreadable"`
}

// Summary is the file-level result, complete once Next returned io.EOF or
// a *RejectedError.
type Summary struct {
	File         string        `json:"file"`
	Profile      string        `json:"profile"`
	Encoding     Encoding      `json:"encoding"`
	BOM          bool          `json:"bom,omitempty"`
	Lines        int           `json:"lines"`
	PaymentLines int           `json:"payment_lines"`
	BadLines     int           `json:"bad_lines"`
	EmptyLines   int           `json:"empty_lines,omitempty"`
	CRLF         int           `json:"crlf"`
	LF           int           `json:"lf"`
	Comments     []string      `json:"comments,omitempty"`
	Totals       *Totals       `json:"totals,omitempty"`
	Computed     Sums          `json:"computed"`
	Problems     []FileProblem `json:"problems,omitempty"` // fatal: the file is rejected
	Warnings     []FileProblem `json:"warnings,omitempty"`
}

// Rejected reports whether the file must not be applied.
func (s *Summary) Rejected() bool { return len(s.Problems) > 0 }

// Err returns a *RejectedError when the file is rejected, else nil.
func (s *Summary) Err() error {
	if !s.Rejected() {
		return nil
	}
	return &RejectedError{File: s.File, Problems: s.Problems}
}

const (
	sampleSize   = 64 << 10
	maxComments  = 32
	giveUpMinBad = 1000 // bad lines before the reader may decide the profile does not fit
)

// Reader streams a registry file. Use Next until it returns io.EOF (the
// file was read; see Summary for the verdict) or a *RejectedError (the
// file cannot be read further). Any other error from Next is a
// *LineError for one line; reading goes on after it.
type Reader struct {
	p    *Profile
	name string
	br   *bufio.Reader
	dec  decoder
	sum  Summary

	line        int
	done        bool
	fields      []string
	skipHeaders int
	longHead    []byte // start of the last over-long line, for the report
	// encPending is set while every byte so far was ASCII: the encoding
	// is decided at the first line that is not.
	encPending bool
}

// NewReader starts reading src (named name in messages) with profile p. It
// peeks at the first bytes to detect the encoding; a file in an encoding
// the profile does not allow, or with binary content, is rejected here.
func NewReader(src io.Reader, name string, p *Profile) (*Reader, error) {
	if p.sep == 0 {
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	br := bufio.NewReaderSize(src, max(p.MaxLineBytes+1, 4096))
	r := &Reader{p: p, name: name, br: br, skipHeaders: p.HeaderLines}
	r.sum = Summary{File: name, Profile: p.ID()}
	sample, err := br.Peek(min(sampleSize, br.Size()))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(sample) == 0 {
		r.reject(0, "", "the file is empty")
		return r, r.sum.Err()
	}
	if bytes.HasPrefix(sample, []byte{0xFF, 0xFE}) || bytes.HasPrefix(sample, []byte{0xFE, 0xFF}) {
		r.reject(0, "", "encoding mismatch: the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as cp1251 or UTF-8")
		return r, r.sum.Err()
	}
	if i := bytes.IndexByte(sample, 0); i >= 0 {
		r.reject(0, "", fmt.Sprintf("binary content: NUL byte at offset %d; this is not a text registry", i))
		return r, r.sum.Err()
	}
	det := DetectEncoding(sample, p.Encodings[0])
	r.sum.Encoding, r.sum.BOM = det.Encoding, det.BOM
	if !p.allows(det.Encoding) {
		why := "the file looks " + string(det.Encoding)
		if det.BOM {
			why = "the file starts with a UTF-8 byte order mark"
		}
		r.reject(0, "", fmt.Sprintf("encoding mismatch: %s, profile %s allows %s", why, p.ID(), joinEnc(p.Encodings)))
		return r, r.sum.Err()
	}
	if det.BOM {
		_, _ = br.Discard(len(utf8BOM))
		r.warn(1, "", "UTF-8 byte order mark skipped")
	}
	r.dec = newDecoder(det.Encoding)
	r.encPending = det.ASCII
	return r, nil
}

func joinEnc(es []Encoding) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

// Summary returns the file-level result so far.
func (r *Reader) Summary() *Summary { return &r.sum }

// Profile returns the profile the reader uses.
func (r *Reader) Profile() *Profile { return r.p }

func (r *Reader) reject(line int, field, reason string) {
	r.sum.Problems = append(r.sum.Problems, FileProblem{Line: line, Field: field, Reason: reason})
}

func (r *Reader) warn(line int, field, reason string) {
	r.sum.Warnings = append(r.sum.Warnings, FileProblem{Line: line, Field: field, Reason: reason})
}

// readLine returns the next physical line without its line ending, or
// tooLong when the line exceeded the limit (the rest of it is skipped
// without buffering it).
func (r *Reader) readLine() (b []byte, tooLong bool, err error) {
	b, err = r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		r.longHead = append(r.longHead[:0], b[:min(len(b), 200)]...)
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, true, err
		}
		r.sum.LF++
		return nil, true, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	if len(b) == 0 && errors.Is(err, io.EOF) {
		return nil, false, io.EOF
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
			r.sum.CRLF++
		} else {
			r.sum.LF++
		}
	} else if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1] // last line ends with a bare CR
	}
	return b, false, nil
}

// Next returns the next payment row. See Reader for the error contract.
func (r *Reader) Next() (Row, error) {
	if r.done {
		if r.sum.Rejected() {
			return Row{}, r.sum.Err()
		}
		return Row{}, io.EOF
	}
	for {
		b, tooLong, err := r.readLine()
		if errors.Is(err, io.EOF) {
			return Row{}, r.finish()
		}
		if err != nil {
			r.done = true
			r.reject(r.line, "", "read error: "+err.Error())
			return Row{}, fmt.Errorf("read %s: %w", r.name, err)
		}
		r.line++
		r.sum.Lines = r.line
		if tooLong {
			r.sum.PaymentLines++
			r.sum.Computed.Count++
			r.sum.Computed.Unreadable++
			le := r.bad("", fmt.Sprintf("line longer than %d bytes (binary data or a missing line break?)", r.p.MaxLineBytes))
			le.Raw = strings.ToValidUTF8(string(r.longHead), "?") + "…"
			return Row{}, le
		}
		if r.skipHeaders > 0 {
			r.skipHeaders--
			r.comment(b)
			continue
		}
		if len(bytes.TrimSpace(b)) == 0 {
			r.sum.EmptyLines++
			continue
		}
		if r.isComment(b) {
			r.comment(b)
			continue
		}
		if t := r.p.Totals; t != nil && bytes.HasPrefix(b, []byte(t.Prefix)) {
			r.totalsLine(b)
			continue
		}
		r.sum.PaymentLines++
		r.sum.Computed.Count++
		if r.sum.Totals != nil {
			r.reject(r.line, "", fmt.Sprintf("payment line after the totals line (line %d): two registries joined or a damaged file", r.sum.Totals.Line))
		}
		row, lerr := r.parse(b)
		if r.done { // the file turned out to be unreadable
			return Row{}, r.sum.Err()
		}
		if lerr != nil {
			r.sum.BadLines++
			if r.sum.BadLines >= giveUpMinBad && r.sum.BadLines*2 > r.sum.PaymentLines && !r.sum.Rejected() {
				r.reject(r.line, "", fmt.Sprintf("%d of %d lines so far do not fit profile %s; stopped reading", r.sum.BadLines, r.sum.PaymentLines, r.p.ID()))
				r.done = true
				return Row{}, r.sum.Err()
			}
			return Row{}, lerr
		}
		return row, nil
	}
}

func (r *Reader) bad(field, reason string) *LineError {
	r.sum.BadLines++
	return &LineError{File: r.name, Line: r.line, Problems: []Problem{{Field: field, Reason: reason}}}
}

func (r *Reader) isComment(b []byte) bool {
	for _, p := range r.p.CommentPrefixes {
		if bytes.HasPrefix(b, []byte(p)) {
			return true
		}
	}
	return false
}

func (r *Reader) comment(b []byte) {
	if len(r.sum.Comments) >= maxComments {
		return
	}
	s, _ := r.dec.decode(b)
	if s == "" {
		s = strings.ToValidUTF8(string(b), "?")
	}
	r.sum.Comments = append(r.sum.Comments, s)
}

// controlByte returns the index of a control character other than tab.
func controlByte(b []byte) int {
	for i, c := range b {
		if c < 0x20 && c != '\t' || c == 0x7f {
			return i
		}
	}
	return -1
}

func (r *Reader) parse(b []byte) (Row, *LineError) {
	le := &LineError{File: r.name, Line: r.line}
	if i := controlByte(b); i >= 0 {
		le.Raw = strings.ToValidUTF8(string(b), "?")
		le.Problems = append(le.Problems, Problem{Reason: fmt.Sprintf("binary data: control byte 0x%02x at column %d", b[i], i+1)})
		// Still try to read the amount so sums stay checkable; not worth it
		// for binary junk, so count it as unreadable.
		r.sum.Computed.Unreadable++
		return Row{}, le
	}
	if r.encPending {
		r.settleEncoding(b)
	}
	text, why := r.dec.decode(b)
	if why != "" {
		le.Raw = strings.ToValidUTF8(string(b), "?")
		le.Problems = append(le.Problems, Problem{Reason: why})
		r.sum.Computed.Unreadable++
		return Row{}, le
	}
	le.Raw = text
	p := r.p
	fields, err := splitFields(text, p.sep, p.quote, r.fields)
	r.fields = fields
	if err != nil {
		le.Problems = append(le.Problems, Problem{Field: p.columnName(len(fields) + 1), Reason: err.Error()})
		r.sum.Computed.Unreadable++
		return Row{}, le
	}
	if p.TrailingSeparator && len(fields) == p.Fields+1 && fields[p.Fields] == "" {
		fields = fields[:p.Fields]
	}
	if len(fields) != p.Fields {
		reason := fmt.Sprintf("%d fields, profile %s expects %d", len(fields), p.ID(), p.Fields)
		if p.quote == 0 && strings.Contains(text, `"`) && len(fields) > p.Fields {
			reason += " (a separator inside a quoted value? this profile does not allow quoting)"
		}
		le.Problems = append(le.Problems, Problem{Reason: reason})
		r.sum.Computed.Unreadable++
		return Row{}, le
	}
	row := Row{Line: r.line, Raw: text}
	get := func(i int) (string, bool) {
		pos := p.pos[i]
		if pos == 0 {
			return "", false
		}
		return strings.TrimSpace(fields[pos-1]), true
	}
	fail := func(field, value, reason string) {
		le.Problems = append(le.Problems, Problem{Field: field, Value: value, Reason: reason})
	}
	amount := func(i int, dst *int64) bool {
		v, ok := get(i)
		if !ok {
			return false
		}
		k, err := ParseAmount(v, p.Amounts)
		if err != nil {
			fail(columnOrder[i], v, err.Error())
			return false
		}
		*dst = k
		return true
	}

	if v, ok := get(iOperationID); ok {
		if v == "" {
			fail(ColOperationID, "", "operation id is empty")
		}
		row.OperationID = v
	}
	if v, ok := get(iAccount); ok {
		if v == "" {
			fail(ColAccount, "", "account is empty")
		}
		row.Account = v
	}
	if v, ok := get(iDate); ok {
		if d, err := p.DateLayout.Parse(v); err != nil {
			fail(ColDate, v, err.Error())
		} else {
			row.Date = d
		}
		if tv, ok := get(iTime); ok {
			if t, err := p.TimeLayout.Parse(tv); err != nil {
				fail(ColTime, tv, err.Error())
			} else if !row.Date.IsZero() {
				row.Date = row.Date.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute + time.Duration(t.Second())*time.Second)
				row.HasTime = true
			}
		}
	} else if l := p.OperationDateFromID; !l.IsZero() && row.OperationID != "" {
		if len(row.OperationID) < l.Len() {
			fail(ColOperationID, row.OperationID, fmt.Sprintf("too short to carry the payment date (%s)", l))
		} else if d, err := l.Parse(row.OperationID[:l.Len()]); err != nil {
			fail(ColOperationID, row.OperationID, "payment date in the operation id: "+err.Error())
		} else {
			row.Date = d
		}
	}
	if v, ok := get(iPeriod); ok && v != "" {
		if d, err := p.PeriodLayout.Parse(v); err != nil {
			fail(ColPeriod, v, err.Error())
		} else {
			row.Period = d
		}
	}
	amountOK := amount(iAmount, &row.Amount)
	row.HasTransfer = amount(iTransfer, &row.Transfer)
	row.HasCommission = amount(iCommission, &row.Commission)
	if amountOK {
		r.sum.Computed.Amount += row.Amount
		r.sum.Computed.Transfer += row.Transfer
		r.sum.Computed.Commission += row.Commission
	}
	if !amountOK || (p.Has(ColTransfer) && !row.HasTransfer) || (p.Has(ColCommission) && !row.HasCommission) {
		r.sum.Computed.Unreadable++
	}
	row.Branch, _ = get(iBranch)
	row.Cashier, _ = get(iCashier)
	row.Payer, _ = get(iPayer)
	row.Address, _ = get(iAddress)
	row.Channel, _ = get(iChannel)
	row.OrderNumber, _ = get(iOrderNumber)
	if v, ok := get(iOrderDate); ok && v != "" {
		if d, err := p.DateLayout.Parse(v); err != nil {
			fail(ColOrderDate, v, err.Error())
		} else {
			row.OrderDate = d
		}
	}
	for _, s := range p.Services {
		v := strings.TrimSpace(fields[s.Column-1])
		if v == "" {
			continue
		}
		k, err := ParseAmount(v, p.Amounts)
		if err != nil {
			fail("service "+s.Code, v, err.Error())
			continue
		}
		row.Services = append(row.Services, ServiceAmount{Code: s.Code, Amount: k})
	}
	if m := p.Meters; m != nil {
		for i := range m.Pairs {
			code := strings.TrimSpace(fields[m.FirstColumn-1+2*i])
			val := strings.TrimSpace(fields[m.FirstColumn+2*i])
			codeAbsent, valAbsent := m.absent(code), m.absent(val)
			field := fmt.Sprintf("meter %d", i+1)
			switch {
			case codeAbsent && valAbsent:
			case codeAbsent:
				fail(field, val, "reading without a meter code")
			case valAbsent:
				// A payer may pay without giving a reading.
			default:
				n, err := ParseReading(val)
				if err != nil {
					fail(field, val, err.Error())
					continue
				}
				row.Meters = append(row.Meters, MeterReading{Code: code, Value: n})
			}
		}
	}
	if len(le.Problems) > 0 {
		return Row{}, le
	}
	return row, nil
}

// settleEncoding decides the encoding of a file whose first bytes were
// all ASCII, at its first line with other bytes.
func (r *Reader) settleEncoding(b []byte) {
	g := guessHigh(b)
	if g.highBytes == 0 {
		return
	}
	r.encPending = false
	switch {
	case g.enc == r.dec.enc:
	case r.p.allows(g.enc):
		r.dec = newDecoder(g.enc)
		r.sum.Encoding = g.enc
	case g.confident:
		r.reject(r.line, "", fmt.Sprintf("encoding mismatch: the file looks %s from this line on, profile %s allows %s", g.enc, r.p.ID(), joinEnc(r.p.Encodings)))
		r.done = true
	}
}

func (m *MeterColumns) absent(v string) bool {
	if v == "" {
		return true
	}
	for _, a := range m.Absent {
		if strings.EqualFold(v, a) {
			return true
		}
	}
	return false
}

func (p *Profile) columnName(pos int) string {
	for c, n := range p.Columns {
		if n == pos {
			return c
		}
	}
	return "#" + strconv.Itoa(pos)
}

// ParseReading checks a meter reading (digits, optional decimal comma or
// point, at most 11 integer digits and 4 decimals: what a meter register
// shows) and returns it with a point.
func ParseReading(v string) (string, error) {
	intPart, frac, hasSep := v, "", false
	if i := strings.IndexAny(v, ",."); i >= 0 {
		intPart, frac, hasSep = v[:i], v[i+1:], true
	}
	switch {
	case strings.HasPrefix(v, "-"):
		return "", errors.New("negative reading")
	case intPart == "" || !allDigits(intPart) || !allDigits(frac) || (hasSep && frac == ""):
		return "", errors.New("reading is not a number")
	case len(intPart) > 11:
		return "", errors.New("reading is too large")
	case len(frac) > 4:
		return "", errors.New("reading has more than four decimals")
	}
	if frac == "" {
		return intPart, nil
	}
	return intPart + "." + frac, nil
}

func (r *Reader) totalsLine(b []byte) {
	line := r.line
	t := r.p.Totals
	if prev := r.sum.Totals; prev != nil {
		r.reject(line, "", fmt.Sprintf("second totals line (the first is line %d)", prev.Line))
		return
	}
	tot := &Totals{Line: line}
	r.sum.Totals = tot
	text, why := r.dec.decode(b)
	if why != "" {
		r.reject(line, "", "totals line: "+why)
		return
	}
	fields, err := splitFields(text[len(t.Prefix):], r.p.sep, r.p.quote, nil)
	if err != nil {
		r.reject(line, "", "totals line: "+err.Error())
		return
	}
	get := func(col string) (string, bool) {
		pos := t.Columns[col]
		if pos == 0 {
			return "", false
		}
		if pos > len(fields) {
			r.reject(line, "totals "+col, fmt.Sprintf("missing: the totals line has %d fields", len(fields)))
			return "", false
		}
		return strings.TrimSpace(fields[pos-1]), true
	}
	if v, ok := get(TotCount); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			r.reject(line, "totals count", fmt.Sprintf("%q is not a line count", v))
		}
		tot.Count = n
	}
	amt := func(col string, dst *int64, has *bool) {
		if v, ok := get(col); ok {
			k, err := ParseAmount(v, r.p.Amounts)
			if err != nil {
				r.reject(line, "totals "+col, fmt.Sprintf("%q: %v", v, err))
				return
			}
			*dst, *has = k, true
		}
	}
	amt(TotAmount, &tot.Amount, &tot.HasAmount)
	amt(TotTransfer, &tot.Transfer, &tot.HasTransfer)
	amt(TotCommission, &tot.Commission, &tot.HasCommission)
	tot.OrderNumber, _ = get(TotOrderNumber)
	if v, ok := get(TotOrderDate); ok && v != "" {
		d, err := t.DateLayout.Parse(v)
		if err != nil {
			r.reject(line, "totals order_date", fmt.Sprintf("%q: %v", v, err))
		}
		tot.OrderDate = d
	}
}

// finish runs the file-level checks once the whole file was read.
func (r *Reader) finish() error {
	r.done = true
	s := &r.sum
	if s.CRLF > 0 && s.LF > 0 {
		r.warn(0, "", fmt.Sprintf("mixed line endings: %d CRLF, %d LF", s.CRLF, s.LF))
	}
	if s.PaymentLines == 0 && s.Totals == nil {
		r.reject(0, "", "no payment lines")
	}
	if t := r.p.Totals; t != nil {
		tot := s.Totals
		switch {
		case tot == nil && t.Required:
			r.reject(s.Lines, "", fmt.Sprintf("no totals line (a line starting with %q): the file is truncated or incomplete", t.Prefix))
		case tot != nil:
			r.checkTotals(tot)
		}
	}
	if s.Rejected() {
		return s.Err()
	}
	return io.EOF
}

func (r *Reader) checkTotals(tot *Totals) {
	s := &r.sum
	if tot.Count != s.Computed.Count {
		r.reject(tot.Line, "totals count", fmt.Sprintf("declares %d payment lines, the file has %d (truncated or damaged)", tot.Count, s.Computed.Count))
	}
	if s.Computed.Unreadable > 0 {
		r.warn(tot.Line, "", fmt.Sprintf("sums not checked: %d lines have unreadable amounts", s.Computed.Unreadable))
		return
	}
	cmp := func(field string, has bool, declared, computed int64) {
		if has && declared != computed {
			r.reject(tot.Line, "totals "+field, fmt.Sprintf("declares %s, the lines sum to %s", FormatAmount(declared), FormatAmount(computed)))
		}
	}
	cmp(TotAmount, tot.HasAmount, tot.Amount, s.Computed.Amount)
	cmp(TotTransfer, tot.HasTransfer && r.p.Has(ColTransfer), tot.Transfer, s.Computed.Transfer)
	cmp(TotCommission, tot.HasCommission && r.p.Has(ColCommission), tot.Commission, s.Computed.Commission)
}
