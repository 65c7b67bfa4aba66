package bank

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a line: which field, its value, why.
type Problem struct {
	Field  string `json:"field,omitempty"` // column name, or "" for the whole line
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

// String renders `field NAME "VALUE": REASON`.
func (p Problem) String() string {
	switch {
	case p.Field == "":
		return p.Reason
	case p.Value == "":
		return "field " + p.Field + ": " + p.Reason
	}
	return fmt.Sprintf("field %s %q: %s", p.Field, p.Value, p.Reason)
}

// LineError reports a line that could not be read as a payment. Its Raw
// text is kept so the line can be quarantined and shown to an operator.
type LineError struct {
	File     string    `json:"file"`
	Line     int       `json:"line"`
	Raw      string    `json:"raw"`
	Problems []Problem `json:"problems"`
}

// Error renders "FILE:LINE: problems".
func (e *LineError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, strings.Join(parts, "; "))
}

// Reason is the problems joined, without the file and line prefix.
func (e *LineError) Reason() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return strings.Join(parts, "; ")
}

// FileProblem is a file-level finding. A fatal one rejects the whole file.
type FileProblem struct {
	Line   int    `json:"line,omitempty"` // 0 when it concerns no single line
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// String renders "line N: field NAME: REASON".
func (p FileProblem) String() string {
	var b strings.Builder
	if p.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", p.Line)
	}
	if p.Field != "" {
		b.WriteString("field " + p.Field + ": ")
	}
	b.WriteString(p.Reason)
	return b.String()
}

// RejectedError is returned when a file as a whole is not acceptable.
type RejectedError struct {
	File     string
	Problems []FileProblem
}

// Error renders "FILE: rejected: problems".
func (e *RejectedError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("%s: rejected: %s", e.File, strings.Join(parts, "; "))
}
