package billing

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

// maxLineBytes bounds a text line; longer ones are refused, not buffered.
const maxLineBytes = 64 << 10

type csvState struct {
	dec        *bank.LineDecoder
	encPending bool // the sample was ASCII: the first non-ASCII line decides
	line       int
	index      []int // header position → column index
	afterTotal bool
	split      []string
}

// readLine returns the next physical line without its end, decoded.
// tooLong is set (text empty) for a line over maxLineBytes.
func (r *Reader) readLine() (raw []byte, text, why string, err error) {
	c := r.csv
	b, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = r.br.ReadSlice('\n')
		}
		c.line++
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, "", "", err
		}
		return nil, "", fmt.Sprintf("line longer than %d bytes", maxLineBytes), nil
	}
	if len(b) == 0 && err != nil {
		return nil, "", "", err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", "", err
	}
	c.line++
	b = bytes.TrimRight(b, "\r\n")
	if c.encPending {
		for _, x := range b {
			if x >= 0x80 {
				det := bank.DetectEncoding(b, bank.UTF8)
				if det.Encoding != bank.UTF8 && det.Encoding != bank.CP1251 {
					return nil, "", "", r.reject(c.line, "", fmt.Sprintf("wrong encoding: the line looks %s; charge files are UTF-8 or cp1251", det.Encoding))
				}
				c.dec, c.encPending, r.sum.Encoding = bank.NewLineDecoder(det.Encoding), false, string(det.Encoding)
				break
			}
		}
	}
	text, why = c.dec.Decode(b)
	return b, text, why, nil
}

// csvHeader reads the preamble (#inn=, #period=, comments) and the header.
func (r *Reader) csvHeader() error {
	c := r.csv
	for {
		_, text, why, err := r.readLine()
		if errors.Is(err, io.EOF) {
			return r.reject(c.line, "", "no header line (want account;service;tariff;volume;charged;total…)")
		}
		if err != nil {
			return err
		}
		if why != "" {
			return r.reject(c.line, "", "wrong encoding: "+why)
		}
		t := strings.TrimSpace(text)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "#") {
			if err := r.preamble(t); err != nil {
				return err
			}
			continue
		}
		names, err := splitLine(t, c.split)
		if err != nil {
			return r.reject(c.line, "", "header: "+err.Error())
		}
		seen := map[int]bool{}
		for _, n := range names {
			i := colIndex(strings.ToLower(strings.TrimSpace(n)))
			switch {
			case i < 0:
				return r.reject(c.line, strings.TrimSpace(n), "unknown column in the header (see FORMAT.md)")
			case seen[i]:
				return r.reject(c.line, strings.TrimSpace(n), "column named twice in the header")
			}
			seen[i] = true
			c.index = append(c.index, i)
		}
		for _, req := range required {
			if !seen[colIndex(req)] {
				return r.reject(c.line, req, "required column missing from the header")
			}
		}
		return nil
	}
}

// preamble reads "#inn=…" and "#period=YYYY-MM"; other # lines are comments.
func (r *Reader) preamble(t string) error {
	key, val, ok := strings.Cut(strings.TrimSpace(t[1:]), "=")
	if !ok {
		return nil
	}
	switch strings.ToLower(strings.TrimSpace(key)) {
	case "inn":
		inn, err := ParseINN(val)
		if err != nil {
			return r.reject(r.csv.line, "inn", err.Error())
		}
		r.sum.INN = inn
	case "period":
		p, err := ParsePeriod(val)
		if err != nil {
			return r.reject(r.csv.line, "period", err.Error())
		}
		r.sum.Period = p
	}
	return nil
}

func (r *Reader) csvNext() (Line, error) {
	c := r.csv
	for {
		raw, text, why, err := r.readLine()
		if err != nil {
			return Line{}, err
		}
		if why != "" {
			r.sum.Lines++
			r.sum.BadLines++
			r.addHash("!" + string(raw))
			return Line{}, &LineError{File: r.name, Line: c.line, Raw: strings.ToValidUTF8(string(raw), "\uFFFD"),
				Problems: []Problem{{Reason: why}}}
		}
		t := strings.TrimSpace(text)
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "#") {
			if key, _, _ := strings.Cut(t, ";"); strings.EqualFold(strings.TrimSpace(key), "#total") {
				if err := r.totalsLine(t); err != nil {
					return Line{}, err
				}
			}
			continue
		}
		if c.afterTotal {
			return Line{}, r.reject(c.line, "", "a charge line after the totals line")
		}
		vals, err := splitLine(text, c.split)
		c.split = vals
		if err != nil {
			return r.lineProblem(text, Problem{Reason: err.Error()})
		}
		if len(vals) != len(c.index) {
			return r.lineProblem(text, Problem{Reason: fmt.Sprintf("%d fields, the header has %d", len(vals), len(c.index))})
		}
		var f fields
		for i, v := range vals {
			f[c.index[i]] = v
		}
		return r.take(c.line, text, &f)
	}
}

func (r *Reader) lineProblem(text string, p Problem) (Line, error) {
	r.sum.Lines++
	r.sum.BadLines++
	r.addHash("!" + text)
	return Line{}, &LineError{File: r.name, Line: r.csv.line, Raw: text, Problems: []Problem{p}}
}

// totalsLine reads "#total;lines=N;charged=R;total=R".
func (r *Reader) totalsLine(t string) error {
	c := r.csv
	if r.sum.Declared != nil {
		return r.reject(c.line, "", "a second totals line")
	}
	d := &Totals{Line: c.line}
	parts := strings.Split(t, ";")[1:]
	seen := map[string]bool{}
	for _, p := range parts {
		key, val, ok := strings.Cut(p, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok {
			return r.reject(c.line, "", fmt.Sprintf("totals line: %q is not key=value", p))
		}
		var err error
		switch key {
		case "lines":
			d.Lines, err = parseCount(val)
		case ColCharged:
			d.Charged, err = parseKopecks(val, false)
		case ColTotal:
			d.Total, err = parseKopecks(val, true)
		default:
			return r.reject(c.line, key, "totals line: unknown key (want lines, charged, total)")
		}
		if err != nil {
			return r.reject(c.line, key, "totals line: "+err.Error())
		}
		seen[key] = true
	}
	if !seen["lines"] || !seen[ColCharged] || !seen[ColTotal] {
		return r.reject(c.line, "", "totals line needs lines=, charged= and total=")
	}
	r.sum.Declared, c.afterTotal = d, true
	return nil
}

// splitLine splits on ';'. A field may be quoted with '"' to hold a ';'; a
// doubled quote inside stands for one.
func splitLine(line string, dst []string) ([]string, error) {
	dst = dst[:0]
	i := 0
	for {
		if i < len(line) && line[i] == '"' {
			var b strings.Builder
			j, closed := i+1, false
			for j < len(line) {
				if line[j] == '"' {
					if j+1 < len(line) && line[j+1] == '"' {
						b.WriteByte('"')
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b.WriteByte(line[j])
				j++
			}
			if !closed {
				return dst, errors.New("unterminated quote")
			}
			if j < len(line) && line[j] != ';' {
				return dst, errors.New("text after a closing quote")
			}
			dst = append(dst, b.String())
			if j >= len(line) {
				return dst, nil
			}
			i = j + 1
			continue
		}
		k := strings.IndexByte(line[i:], ';')
		if k < 0 {
			return append(dst, line[i:]), nil
		}
		dst = append(dst, line[i:i+k])
		i += k + 1
	}
}
