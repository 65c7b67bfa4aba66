package billing

import (
	"fmt"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/internal/model"
)

// Calculation methods a line may declare in its calc column.
const (
	// CalcVolume (the default, empty) says charged = tariff × (volume +
	// common_volume), which the reader checks.
	CalcVolume = "volume"
	// CalcOther says the amount was computed otherwise (fixed fee, stepped
	// tariff, share of a house total); the product is not checked.
	CalcOther = "other"
)

// Line is one charge: one account, one service, one month.
type Line struct {
	Line          int    // 1-based line in a text file; 1-based element of lines[] in JSON
	Raw           string // the decoded text of the line (the element's JSON)
	Account       string
	Service       string
	Unit          string
	Tariff        model.Decimal  // rubles per unit, up to 4 decimals
	Volume        model.Decimal  // individual volume, up to 6 decimals, ≥ 0
	CommonVolume  model.Decimal  // common-house (ОДН) volume, up to 6 decimals, ≥ 0
	Norm          *model.Decimal // consumption norm, when applied
	Charged       int64          // kopecks
	Recalculation int64          // kopecks, may be negative
	RecalcReason  string
	Benefit       int64 // kopecks, benefits and subsidies deducted, ≥ 0
	Total         int64 // kopecks = Charged + Recalculation − Benefit
	Calc          string
}

// canonical is the encoding-independent text of a line, for the content hash.
func (l *Line) canonical() string {
	norm := ""
	if l.Norm != nil {
		norm = trimDec(*l.Norm)
	}
	return strings.Join([]string{l.Account, l.Service, l.Unit, trimDec(l.Tariff), trimDec(l.Volume),
		trimDec(l.CommonVolume), norm, fmt.Sprint(l.Charged), fmt.Sprint(l.Recalculation), l.RecalcReason,
		fmt.Sprint(l.Benefit), fmt.Sprint(l.Total), l.Calc}, "\x1f")
}

// trimDec prints d without trailing zeros, so 1.50 and 1.5 hash alike.
func trimDec(d model.Decimal) string {
	s := d.String()
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Problem is one thing wrong with a line: which column, its value, why.
type Problem struct {
	Column string `json:"column,omitempty"` // "" for the whole line
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// String renders `column NAME "VALUE": REASON`.
func (p Problem) String() string {
	switch {
	case p.Column == "":
		return p.Reason
	case p.Value == "":
		return "column " + p.Column + ": " + p.Reason
	}
	return fmt.Sprintf("column %s %q: %s", p.Column, p.Value, p.Reason)
}

// LineError reports a line that cannot be taken as a charge. Its Raw text
// is kept for the quarantine; Account and Service are what could be read.
type LineError struct {
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Raw      string    `json:"raw"`
	Account  string    `json:"account,omitempty"`
	Service  string    `json:"service,omitempty"`
	Problems []Problem `json:"problems"`
}

// Error renders "FILE:LINE: problems".
func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason()) }

// Reason is the problems joined, without file and line.
func (e *LineError) Reason() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// FileProblem is a finding about the file as a whole; it rejects the file.
type FileProblem struct {
	Line   int    `json:"line,omitempty"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// String renders "line N: column NAME: REASON".
func (p FileProblem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Column != "" {
		b.WriteString("column " + p.Column + ": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// RejectedError is returned when the file as a whole is not acceptable.
type RejectedError struct {
	File     string
	Problems []FileProblem
}

// Error renders "FILE: rejected: problems".
func (e *RejectedError) Error() string { return e.File + ": rejected: " + ProblemsText(e.Problems) }

// ProblemsText joins file problems for a report.
func ProblemsText(ps []FileProblem) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// Totals is the footer a file may end with: what the sender counted.
type Totals struct {
	Line    int   `json:"line,omitempty"`
	Lines   int   `json:"lines"`
	Charged int64 `json:"charged"`
	Total   int64 `json:"total"`
}

// Summary is what the reader learned about the file as a whole.
type Summary struct {
	Format   string    `json:"format"` // "csv" or "json"
	Encoding string    `json:"encoding"`
	INN      string    `json:"inn,omitempty"`
	Period   time.Time `json:"period,omitzero"` // first day of the month; zero when the file does not say
	// Lines counts the charge lines read, BadLines those that were LineErrors.
	Lines    int `json:"lines"`
	BadLines int `json:"bad_lines"`
	// Charged and Total sum the lines whose amounts could be read.
	Charged  int64         `json:"charged"`
	Total    int64         `json:"total"`
	Declared *Totals       `json:"declared,omitempty"`
	Problems []FileProblem `json:"problems,omitempty"`
	Warnings []string      `json:"warnings,omitempty"`
	// ContentSHA256 is an order-independent hash of the lines as parsed (not
	// as bytes), with the declared INN and period: the same charges in
	// another encoding, format or line order hash alike. Set at the end.
	ContentSHA256 []byte `json:"-"`
}

// Rejected reports whether the file must not be applied.
func (s *Summary) Rejected() bool { return len(s.Problems) > 0 }
