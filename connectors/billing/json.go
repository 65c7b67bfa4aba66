package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// jsonState walks {"inn", "period", "lines": [...], "totals"} as a token
// stream, so a file of any size is read one element at a time.
type jsonState struct {
	dec     *json.Decoder
	started bool
	inLines bool
	seen    map[string]bool
	n       int // elements of lines[] read
}

func newJSONState(r *Reader) *jsonState {
	d := json.NewDecoder(r.br)
	d.UseNumber()
	return &jsonState{dec: d, seen: map[string]bool{}}
}

// jsonText is a field given as a JSON string or number; both keep their
// literal text, so amounts never pass through floating point.
type jsonText struct {
	s   string
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *jsonText) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		t.set = true
		return json.Unmarshal(b, &t.s)
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		t.s, t.set = string(b), true
		return nil
	}
	return &json.UnmarshalTypeError{Value: string(b), Type: reflect.TypeFor[string]()}
}

// jsonLine is one element of lines[]; keys are the column names.
type jsonLine struct {
	Account       jsonText `json:"account"`
	Service       jsonText `json:"service"`
	Unit          jsonText `json:"unit"`
	Tariff        jsonText `json:"tariff"`
	Volume        jsonText `json:"volume"`
	CommonVolume  jsonText `json:"common_volume"`
	Norm          jsonText `json:"norm"`
	Charged       jsonText `json:"charged"`
	Recalculation jsonText `json:"recalculation"`
	RecalcReason  jsonText `json:"recalc_reason"`
	Benefit       jsonText `json:"benefit"`
	Total         jsonText `json:"total"`
	Calc          jsonText `json:"calc"`
}

type jsonTotals struct {
	Lines   *int     `json:"lines"`
	Charged jsonText `json:"charged"`
	Total   jsonText `json:"total"`
}

func (r *Reader) jsonSyntax(err error) error {
	j := r.json
	where := ""
	if j.inLines {
		where = fmt.Sprintf(" after lines[%d]", j.n)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.reject(0, "", "JSON ends early"+where+" (truncated file?)")
	}
	return r.reject(0, "", fmt.Sprintf("JSON syntax at byte %d%s: %v", j.dec.InputOffset(), where, err))
}

func (r *Reader) jsonNext() (Line, error) {
	j := r.json
	if !j.started {
		tok, err := j.dec.Token()
		if err != nil {
			return Line{}, r.jsonSyntax(err)
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return Line{}, r.reject(0, "", "a JSON charge file is one object {inn, period, lines, totals}")
		}
		j.started = true
	}
	for {
		if j.inLines {
			if j.dec.More() {
				return r.jsonElement()
			}
			if _, err := j.dec.Token(); err != nil { // ']'
				return Line{}, r.jsonSyntax(err)
			}
			j.inLines = false
			continue
		}
		tok, err := j.dec.Token()
		if err != nil {
			return Line{}, r.jsonSyntax(err)
		}
		if d, ok := tok.(json.Delim); ok && d == '}' {
			if _, err := j.dec.Token(); !errors.Is(err, io.EOF) {
				return Line{}, r.reject(0, "", "text after the JSON object")
			}
			if !j.seen["lines"] {
				return Line{}, r.reject(0, "lines", "the object has no lines array")
			}
			return Line{}, io.EOF
		}
		key, _ := tok.(string)
		if j.seen[key] {
			return Line{}, r.reject(0, key, "key given twice")
		}
		j.seen[key] = true
		switch key {
		case "inn", "period":
			var s string
			if err := j.dec.Decode(&s); err != nil {
				return Line{}, r.reject(0, key, "want a string: "+err.Error())
			}
			if key == "inn" {
				inn, err := ParseINN(s)
				if err != nil {
					return Line{}, r.reject(0, key, err.Error())
				}
				r.sum.INN = inn
			} else {
				p, err := ParsePeriod(s)
				if err != nil {
					return Line{}, r.reject(0, key, err.Error())
				}
				r.sum.Period = p
			}
		case "lines":
			tok, err := j.dec.Token()
			if err != nil {
				return Line{}, r.jsonSyntax(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return Line{}, r.reject(0, key, "want an array of charge lines")
			}
			j.inLines = true
		case "totals":
			if err := r.jsonTotals(); err != nil {
				return Line{}, err
			}
		default:
			return Line{}, r.reject(0, key, "unknown key (want inn, period, lines, totals)")
		}
	}
}

func (r *Reader) jsonElement() (Line, error) {
	j := r.json
	var raw json.RawMessage
	if err := j.dec.Decode(&raw); err != nil {
		return Line{}, r.jsonSyntax(err)
	}
	j.n++
	var buf bytes.Buffer
	if json.Compact(&buf, raw) == nil {
		raw = buf.Bytes()
	}
	text := string(raw)
	var jl jsonLine
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&jl); err != nil {
		r.sum.Lines++
		r.sum.BadLines++
		r.addHash("!" + text)
		return Line{}, &LineError{File: r.name, Line: j.n, Raw: text, Problems: []Problem{{Reason: jsonFieldError(err)}}}
	}
	var f fields
	for i, t := range []jsonText{jl.Account, jl.Service, jl.Unit, jl.Tariff, jl.Volume, jl.CommonVolume, jl.Norm,
		jl.Charged, jl.Recalculation, jl.RecalcReason, jl.Benefit, jl.Total, jl.Calc} {
		f[i] = t.s
	}
	for _, req := range required {
		if strings.TrimSpace(f[colIndex(req)]) == "" {
			r.sum.Lines++
			r.sum.BadLines++
			r.addHash("!" + text)
			return Line{}, &LineError{File: r.name, Line: j.n, Raw: text, Account: jl.Account.s, Service: jl.Service.s,
				Problems: []Problem{{Column: req, Reason: "required key missing or empty"}}}
		}
	}
	return r.take(j.n, text, &f)
}

func jsonFieldError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("key %s: want a string or a number", te.Field)
	}
	return "not a charge line object: " + strings.TrimPrefix(err.Error(), "json: ")
}

func (r *Reader) jsonTotals() error {
	var t jsonTotals
	if err := r.json.dec.Decode(&t); err != nil {
		return r.reject(0, "totals", "want {lines, charged, total}: "+err.Error())
	}
	if t.Lines == nil || !t.Charged.set || !t.Total.set {
		return r.reject(0, "totals", "totals need lines, charged and total")
	}
	d := &Totals{Lines: *t.Lines}
	var err error
	if d.Charged, err = parseKopecks(t.Charged.s, false); err != nil {
		return r.reject(0, "totals.charged", err.Error())
	}
	if d.Total, err = parseKopecks(t.Total.s, true); err != nil {
		return r.reject(0, "totals.total", err.Error())
	}
	r.sum.Declared = d
	return nil
}
