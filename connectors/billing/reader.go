package billing

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

// Formats of a charge file.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// sampleSize is how much of the file decides its encoding and format.
const sampleSize = 64 << 10

// Reader streams the lines of one charge file.
type Reader struct {
	name string
	br   *bufio.Reader
	sum  Summary
	done bool
	err  error // the terminal error: io.EOF or a *RejectedError

	// content hash: per-line SHA-256 words summed, so order does not matter.
	hash [4]uint64

	csv  *csvState
	json *jsonState
}

// Open starts reading a charge file: it rejects empty, binary and UTF-16
// files, decides the encoding (UTF-8 or cp1251, with bank's detection) and
// the format (JSON when the first non-blank byte is '{', text otherwise).
// A file rejected at once comes with a *RejectedError and a Reader whose
// Summary tells why.
func Open(r io.Reader, name string) (*Reader, error) {
	rd := &Reader{name: name, br: bufio.NewReaderSize(r, sampleSize)}
	sample, err := rd.br.Peek(sampleSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	switch {
	case len(bytes.TrimSpace(sample)) == 0:
		return rd, rd.reject(0, "", "the file is empty")
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}) || bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return rd, rd.reject(0, "", "wrong encoding: the file is UTF-16; save it as UTF-8 or cp1251")
	case bytes.IndexByte(sample, 0) >= 0:
		return rd, rd.reject(0, "", fmt.Sprintf("binary content: NUL byte at offset %d; not a charge file", bytes.IndexByte(sample, 0)))
	}
	det := bank.DetectEncoding(sample, bank.UTF8)
	if det.BOM {
		_, _ = rd.br.Discard(3)
		sample = sample[3:]
	}
	if det.Encoding != bank.UTF8 && det.Encoding != bank.CP1251 {
		return rd, rd.reject(0, "", fmt.Sprintf("wrong encoding: the file looks %s; charge files are UTF-8 or cp1251", det.Encoding))
	}
	rd.sum.Encoding = string(det.Encoding)
	if t := bytes.TrimLeft(sample, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		if det.Encoding != bank.UTF8 {
			return rd, rd.reject(0, "", "wrong encoding: a JSON charge file must be UTF-8, this one looks cp1251")
		}
		rd.sum.Format = FormatJSON
		rd.json = newJSONState(rd)
		return rd, nil
	}
	rd.sum.Format = FormatCSV
	rd.csv = &csvState{dec: bank.NewLineDecoder(det.Encoding), encPending: det.ASCII}
	if err := rd.csvHeader(); err != nil {
		return rd, err
	}
	return rd, nil
}

// Summary returns the file-level result; complete once Next returned io.EOF
// or a *RejectedError.
func (r *Reader) Summary() *Summary { return &r.sum }

// Next returns the next charge line, a *LineError for a line that cannot be
// taken (reading goes on), io.EOF at a clean end, or a *RejectedError when
// the file as a whole is not acceptable (then the Summary says why).
func (r *Reader) Next() (Line, error) {
	if r.done {
		return Line{}, r.err
	}
	var l Line
	var err error
	if r.json != nil {
		l, err = r.jsonNext()
	} else {
		l, err = r.csvNext()
	}
	if errors.Is(err, io.EOF) {
		return Line{}, r.finish()
	}
	var re *RejectedError
	if errors.As(err, &re) {
		return Line{}, err
	}
	return l, err
}

// reject records a fatal problem and ends reading.
func (r *Reader) reject(line int, col, reason string) error {
	r.sum.Problems = append(r.sum.Problems, FileProblem{Line: line, Column: col, Reason: reason})
	r.done = true
	r.err = &RejectedError{File: r.name, Problems: r.sum.Problems}
	return r.err
}

// take checks one line's fields and accounts for it in the summary.
func (r *Reader) take(n int, raw string, f *fields) (Line, error) {
	l := Line{Line: n, Raw: raw}
	probs, chOK, totOK := check(f, &l)
	r.sum.Lines++
	if chOK {
		r.sum.Charged += l.Charged
	}
	if totOK {
		r.sum.Total += l.Total
	}
	if len(probs) > 0 {
		r.sum.BadLines++
		r.addHash("!" + strings.Join(f[:], "\x1f"))
		return Line{}, &LineError{File: r.name, Line: n, Raw: raw, Account: l.Account, Service: l.Service, Problems: probs}
	}
	r.addHash(l.canonical())
	return l, nil
}

func (r *Reader) addHash(s string) {
	h := sha256.Sum256([]byte(s))
	for i := range r.hash {
		r.hash[i] += binary.BigEndian.Uint64(h[i*8:])
	}
}

// finish checks the declared totals and seals the content hash.
func (r *Reader) finish() error {
	if d := r.sum.Declared; d != nil {
		if d.Lines != r.sum.Lines {
			return r.reject(d.Line, "lines", fmt.Sprintf("totals line declares %d charge lines, the file has %d (truncated?)", d.Lines, r.sum.Lines))
		}
		if d.Charged != r.sum.Charged {
			return r.reject(d.Line, ColCharged, fmt.Sprintf("totals line declares charged %s, the lines add up to %s", rubles(d.Charged), rubles(r.sum.Charged)))
		}
		if d.Total != r.sum.Total {
			return r.reject(d.Line, ColTotal, fmt.Sprintf("totals line declares total %s, the lines add up to %s", rubles(d.Total), rubles(r.sum.Total)))
		}
	}
	if r.sum.Lines == 0 {
		return r.reject(0, "", "the file has no charge lines")
	}
	h := sha256.New()
	period := ""
	if !r.sum.Period.IsZero() {
		period = r.sum.Period.Format("2006-01")
	}
	fmt.Fprintf(h, "%s\x1f%s\x1f%d", r.sum.INN, period, r.sum.Lines)
	for _, w := range r.hash {
		_ = binary.Write(h, binary.BigEndian, w)
	}
	r.sum.ContentSHA256 = h.Sum(nil)
	r.done, r.err = true, io.EOF
	return io.EOF
}

// ParsePeriod reads "YYYY-MM" into the first day of that month (UTC).
func ParsePeriod(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("period %q: want YYYY-MM", s)
	}
	return t, nil
}

// ParseINN checks an INN: 10 digits (organizations) or 12 (entrepreneurs).
func ParseINN(s string) (string, error) {
	v := strings.TrimSpace(s)
	if (len(v) != 10 && len(v) != 12) || !digits(v) {
		return "", fmt.Errorf("INN %q: want 10 or 12 digits", s)
	}
	return v, nil
}

// parseCount reads a non-negative line count.
func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a line count", s)
	}
	return n, nil
}
