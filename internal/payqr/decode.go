package payqr

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// MaxQRBytes is the most bytes any QR code holds (version 40, level L, byte
// mode); longer input did not come from a QR code.
const MaxQRBytes = 2953

// DeviationCode names one kind of departure from the standard.
type DeviationCode string

// The deviations the reader reports.
const (
	DevBOM               DeviationCode = "bom"                // a UTF-8 byte order mark before the header
	DevTrailingNewline   DeviationCode = "trailing_newline"   // CR or LF after the last requisite
	DevTrailingSeparator DeviationCode = "trailing_separator" // a separator after the last requisite
	DevHeaderCase        DeviationCode = "header_case"        // "st0001" instead of "ST0001"
	DevUnknownFlag       DeviationCode = "unknown_encoding_flag"
	DevEncodingMismatch  DeviationCode = "encoding_mismatch" // the flag names another charset than the bytes are in
	DevEmptyField        DeviationCode = "empty_field"       // two separators in a row
	DevMalformedField    DeviationCode = "malformed_field"   // a requisite without "="
	DevKeyCase           DeviationCode = "key_case"          // "persAcc" for "PersAcc"
	DevKeyMisspelled     DeviationCode = "key_misspelled"    // "Counterld" for "CounterId"
	DevUnknownKey        DeviationCode = "unknown_key"
	DevDuplicateKey      DeviationCode = "duplicate_key"
	DevEmptyValue        DeviationCode = "empty_value"
	DevValueWhitespace   DeviationCode = "value_whitespace" // spaces around a value
	DevMissingMandatory  DeviationCode = "missing_mandatory"
	DevMandatoryOrder    DeviationCode = "mandatory_order"
	DevSumInRubles       DeviationCode = "sum_in_rubles" // an amount with a decimal point or in "руб. коп."
	DevPeriodFormat      DeviationCode = "period_format" // a billing month not written as MMYYYY
	DevInvalidValue      DeviationCode = "invalid_value" // a value the writer would refuse
)

// Deviation is one departure from the standard found in a payload.
type Deviation struct {
	Code    DeviationCode `json:"code"`
	Field   string        `json:"field,omitempty"` // the standard's key, when the deviation concerns one
	Message string        `json:"message"`
}

// Decoded is everything the reader learned from a payload.
type Decoded struct {
	Payment Payment `json:"payment"`
	// Flag is the encoding the header names (0 when the digit is not 1, 2 or 3).
	Flag Encoding `json:"flag,omitempty"`
	// Encoding is the charset the bytes were read in: the flag's, unless the bytes say otherwise.
	Encoding   Encoding    `json:"encoding,omitempty"`
	Separator  string      `json:"separator"`
	Deviations []Deviation `json:"deviations"`
}

// Decode reads a payload leniently: it returns the payment it could read and
// every deviation from the standard. Values are normalised where the intent is
// clear (rubles become kopecks, a billing month becomes MMYYYY, keys take the
// standard's spelling), and the deviation says so. Bytes that cannot be a
// payload at all are an apperr.Invalid error.
func Decode(b []byte) (Payment, []Deviation, error) {
	d, err := Inspect(b)
	return d.Payment, d.Deviations, err
}

var (
	utf8BOM      = []byte{0xEF, 0xBB, 0xBF}
	reRubles     = regexp.MustCompile(`^(\d{1,16})[.,](\d{1,2})$`)
	reRubKop     = regexp.MustCompile(`^(?i)(\d{1,16})\s*(?:руб\.?|р\.)\s*(?:(\d{1,2})\s*(?:коп\.?|к\.?))?$`)
	reMonthYear  = regexp.MustCompile(`^(\d{1,2})[./\- ](\d{4}|\d{2})$`)
	reYearMonth  = regexp.MustCompile(`^(\d{4})[./\-](\d{1,2})$`)
	reDate       = regexp.MustCompile(`^\d{1,2}[./\-](\d{1,2})[./\-](\d{4})$`)
	reMonthWords = regexp.MustCompile(`^(?i)([а-яё]+)\s+(\d{4})(?:\s*г(?:ода?|\.)?)?$`)
)

// Inspect is Decode with what it found about the encoding.
func Inspect(b []byte) (Decoded, error) {
	const op = "payqr: decode"
	d := Decoded{Deviations: []Deviation{}}
	dev := func(code DeviationCode, key, format string, args ...any) {
		d.Deviations = append(d.Deviations, Deviation{Code: code, Field: key, Message: fmt.Sprintf(format, args...)})
	}
	if len(b) > MaxQRBytes {
		return d, apperr.Invalidf(op, "%d bytes is more than any QR code holds (%d): not a payment QR payload", len(b), MaxQRBytes)
	}
	offset := 0 // of the header in the input, for error positions
	if bytes.HasPrefix(b, utf8BOM) {
		dev(DevBOM, "", "the payload begins with a UTF-8 byte order mark")
		b, offset = b[len(utf8BOM):], len(utf8BOM)
	}
	if t := bytes.TrimRight(b, "\r\n"); len(t) != len(b) {
		dev(DevTrailingNewline, "", "the payload ends with %q", b[len(t):])
		b = t
	}
	if len(b) < len(header)+2 || !bytes.EqualFold(b[:len(header)], []byte(header)) {
		return d, apperr.Invalidf(op, "the bytes do not begin with the header %s<flag><separator> (found %q): not a GOST R 56042 payload", header, prefix(b, 8))
	}
	if string(b[:len(header)]) != header {
		dev(DevHeaderCase, "", "the header is %q, the standard writes %q", b[:len(header)], header)
	}
	switch flag := b[6]; {
	case flag >= '1' && flag <= '3':
		d.Flag = Encoding(flag - '0')
	case flag >= '0' && flag <= '9':
		dev(DevUnknownFlag, "", "the encoding flag %q is not 1 (cp1251), 2 (utf8) or 3 (koi8r)", flag)
	default:
		return d, apperr.Invalidf(op, "byte %d must be the encoding flag 1, 2 or 3, found %q: not a GOST R 56042 payload", offset+7, flag)
	}
	sep := b[7]
	if sep < 0x21 || sep > 0x7E || sep == '=' || sep >= '0' && sep <= '9' || sep|0x20 >= 'a' && sep|0x20 <= 'z' {
		return d, apperr.Invalidf(op, "byte %d must be the separator (usually '|'), found %q: not a GOST R 56042 payload", offset+8, sep)
	}
	d.Separator = string(sep)
	body := b[8:]
	for i, c := range body {
		if c < 0x20 && c != '\t' || c == 0x7F {
			return d, apperr.Invalidf(op, "byte %d is the control byte 0x%02X: not a text payload", offset+8+i+1, c)
		}
	}
	d.Encoding = detect(body, d.Flag)
	if d.Flag != 0 && d.Encoding != d.Flag {
		dev(DevEncodingMismatch, "", "the header's flag says %s but the bytes are %s; read as %s", d.Flag, d.Encoding, d.Encoding)
	} else if d.Flag == 0 {
		dev(DevEncodingMismatch, "", "with no valid flag the bytes were read as %s", d.Encoding)
	}

	parts := strings.Split(decodeText(d.Encoding, body), string(sep))
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		dev(DevTrailingSeparator, "", "the payload ends with the separator %q", sep)
		parts = parts[:len(parts)-1]
	}
	index := make(map[string]int, len(fields)) // key → position in fields
	lower := make(map[string]int, len(fields))
	for i, f := range fields {
		index[f.key] = i
		lower[strings.ToLower(f.key)] = i
	}
	var order []string // resolved keys in the order they came, "" for unknown ones
	seen := make(map[string]bool)
	recognised := 0
	for i, part := range parts {
		pos := i + 1
		if part == "" {
			dev(DevEmptyField, "", "requisite %d is empty (two separators in a row)", pos)
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(key) == "" {
			dev(DevMalformedField, "", "requisite %d %q is not Key=Value", pos, clip(part))
			continue
		}
		recognised++
		fi, ok := index[key]
		if !ok {
			k := strings.ToLower(strings.TrimSpace(key))
			if j, found := lower[k]; found {
				fi = j
				dev(DevKeyCase, fields[fi].key, "requisite %d: key %q is written %q in the standard", pos, key, fields[fi].key)
			} else if std, found := misspelled[k]; found {
				fi = index[std]
				dev(DevKeyMisspelled, std, "requisite %d: key %q is a misspelling of %q", pos, key, std)
			} else {
				order = append(order, "")
				dev(DevUnknownKey, "", "requisite %d: key %q is not in the standard (value %q)", pos, clip(key), clip(val))
				continue
			}
		}
		f := fields[fi]
		order = append(order, f.key)
		if seen[f.key] {
			dev(DevDuplicateKey, f.key, "requisite %d: %s appears again (value %q); the first value is kept", pos, f.key, clip(val))
			continue
		}
		seen[f.key] = true
		if t := strings.TrimSpace(val); t != val {
			dev(DevValueWhitespace, f.key, "%s: the value %q has spaces around it", f.key, clip(val))
			val = t
		}
		if val == "" {
			dev(DevEmptyValue, f.key, "%s: the value is empty", f.key)
			continue
		}
		readValue(&d.Payment, f, val, dev)
	}
	if recognised == 0 {
		return d, apperr.Invalidf(op, "no Key=Value requisite after the header: not a GOST R 56042 payload")
	}

	var want []string
	for _, f := range fields {
		if !f.mandatory {
			continue
		}
		if v, _ := f.value(&d.Payment); v == "" {
			if !seen[f.key] {
				dev(DevMissingMandatory, f.key, "the mandatory requisite %s is missing", f.key)
			}
			continue
		}
		want = append(want, f.key)
	}
	if len(order) < len(want) || !equal(order[:len(want)], want) {
		dev(DevMandatoryOrder, "", "the payload begins with %s; the standard puts Name, PersonalAcc, BankName, BIC, CorrespAcc first, in this order",
			describe(order, len(want)))
	}
	return d, nil
}

// readValue stores one value in p, normalising amounts and billing months.
func readValue(p *Payment, f field, val string, dev func(DeviationCode, string, string, ...any)) {
	switch f.kind {
	case kindAmount:
		kop, rubles, ok := parseAmount(val)
		if !ok {
			dev(DevInvalidValue, f.key, "%s: %q is not an amount in kopecks; ignored", f.key, clip(val))
			return
		}
		if rubles {
			dev(DevSumInRubles, f.key, "%s: %q is in rubles, the standard wants kopecks; read as %d kopecks", f.key, val, kop)
		}
		*f.num(p) = kop
	case kindPeriod:
		mmyyyy, ok := parsePeriod(val)
		*f.str(p) = val
		switch {
		case !ok:
			dev(DevInvalidValue, f.key, "%s: %q is not a month; kept as written", f.key, clip(val))
		case mmyyyy != val:
			dev(DevPeriodFormat, f.key, "%s: %q is not MMYYYY; read as %s", f.key, val, mmyyyy)
			*f.str(p) = mmyyyy
		}
	default:
		*f.str(p) = val
		if reason := f.check(val); reason != "" {
			dev(DevInvalidValue, f.key, "%s: %s", f.key, reason)
		}
	}
}

// parseAmount reads kopecks ("451237"), or rubles with a decimal point or
// comma ("4512.37") or in words ("4512 руб. 37 коп."); rubles reports the latter.
func parseAmount(v string) (kop int64, rubles, ok bool) {
	if allDigits(v) && len(v) <= 18 {
		n, err := strconv.ParseInt(v, 10, 64)
		return n, false, err == nil
	}
	m := reRubles.FindStringSubmatch(v)
	if m == nil {
		m = reRubKop.FindStringSubmatch(v)
	}
	if m == nil {
		return 0, false, false
	}
	rub, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false, false
	}
	cents := m[2]
	if len(cents) == 1 && reRubles.MatchString(v) { // "12.5" is 12 rubles 50 kopecks
		cents += "0"
	}
	var c int64
	if cents != "" {
		c, _ = strconv.ParseInt(cents, 10, 64)
	}
	return rub*100 + c, true, true
}

// monthStems are the first letters of the Russian month names, in order.
var monthStems = []string{"янв", "фев", "мар", "апр", "ма", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"}

// parsePeriod reads a billing month written as MMYYYY (the standard's
// practice), MMYY, MM.YYYY, MM.YY, YYYY-MM, YYYYMM, YYYYMMDD, DD.MM.YYYY or
// "январь 2021", and returns it as MMYYYY.
func parsePeriod(v string) (string, bool) {
	month := func(mm, yyyy string) (string, bool) {
		m, err := strconv.Atoi(mm)
		if err != nil || m < 1 || m > 12 {
			return "", false
		}
		if len(yyyy) == 2 {
			yyyy = "20" + yyyy
		}
		return fmt.Sprintf("%02d%s", m, yyyy), true
	}
	if allDigits(v) {
		switch len(v) {
		case 6:
			if s, ok := month(v[:2], v[2:]); ok {
				return s, true
			}
			return month(v[4:], v[:4]) // YYYYMM
		case 4:
			return month(v[:2], v[2:])
		case 8:
			return month(v[4:6], v[:4]) // YYYYMMDD, day may be 00
		}
		return "", false
	}
	if m := reMonthYear.FindStringSubmatch(v); m != nil {
		return month(m[1], m[2])
	}
	if m := reYearMonth.FindStringSubmatch(v); m != nil {
		return month(m[2], m[1])
	}
	if m := reDate.FindStringSubmatch(v); m != nil {
		return month(m[1], m[2])
	}
	if m := reMonthWords.FindStringSubmatch(v); m != nil {
		word := strings.ToLower(m[1])
		for i, stem := range monthStems {
			if strings.HasPrefix(word, stem) {
				return fmt.Sprintf("%02d%s", i+1, m[2]), true
			}
		}
	}
	return "", false
}

// detect decides which charset the body is in. Each reading the bytes allow
// (UTF-8 only when they are valid UTF-8) is scored by its oddities: UTF-8 read
// as cp1251 is a run of "Р" and "С" with stray signs, KOI8-R read as cp1251
// (or the reverse) swaps upper and lower case and turns «» into box drawing.
// The least odd reading wins; on a tie the flag does, then UTF-8, then cp1251.
func detect(body []byte, flag Encoding) Encoding {
	ascii := true
	for _, c := range body {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		if flag.valid() {
			return flag
		}
		return UTF8
	}
	candidates := []Encoding{UTF8, Windows1251, KOI8R}
	if flag.valid() {
		candidates = append([]Encoding{flag}, candidates...)
	}
	best, bestScore := Encoding(0), 0
	for _, e := range candidates {
		if e == UTF8 && !utf8.Valid(body) {
			continue
		}
		if score := oddness(decodeText(e, body)); best == 0 || score < bestScore {
			best, bestScore = e, score
		}
	}
	return best
}

// oddness counts what Russian text rarely has: a lower-case letter directly
// followed by an upper-case one, and non-ASCII characters that are neither
// Russian letters nor common typographic signs.
func oddness(s string) int {
	n := 0
	var prev rune
	for _, r := range s {
		if r >= 0x80 && !russian(r) && !strings.ContainsRune("«»№–—“”„‘’…\u00a0", r) {
			n++
		}
		if russian(prev) && russian(r) && unicode.IsLower(prev) && unicode.IsUpper(r) {
			n++
		}
		prev = r
	}
	return n
}

func russian(r rune) bool { return r >= 'А' && r <= 'я' || r == 'Ё' || r == 'ё' }

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// describe lists the first n keys of order for a message.
func describe(order []string, n int) string {
	n = max(n, 5)
	if len(order) < n {
		n = len(order)
	}
	names := make([]string, n)
	for i := range names {
		names[i] = order[i]
		if names[i] == "" {
			names[i] = "(unknown key)"
		}
	}
	if len(names) == 0 {
		return "no requisite"
	}
	return strings.Join(names, ", ")
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	const most = 60
	if utf8.RuneCountInString(s) <= most {
		return s
	}
	r := []rune(s)
	return string(r[:most]) + "…"
}

func prefix(b []byte, n int) []byte {
	if len(b) < n {
		return b
	}
	return b[:n]
}
