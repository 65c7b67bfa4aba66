package payqr

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// maxAmount is the largest amount of 18 digits, the standard's limit for Sum.
const maxAmount = 999_999_999_999_999_999

// Encode writes p as a payload in encoding enc: "ST0001", the flag digit,
// "|", the five mandatory requisites in order, then every non-empty optional
// requisite in the fixed order of Keys. The same payment always gives the
// same bytes. Any value the standard does not allow is an apperr.Invalid
// error naming the requisite.
func Encode(p Payment, enc Encoding) ([]byte, error) {
	const op = "payqr: encode"
	if !enc.valid() {
		return nil, apperr.Invalidf(op, "unknown encoding %d (want 1 cp1251, 2 utf8 or 3 koi8r)", byte(enc))
	}
	var out bytes.Buffer
	out.WriteString(header)
	out.WriteByte(enc.Flag())
	for _, f := range fields {
		value, present := f.value(&p)
		if !present {
			if f.mandatory {
				return nil, apperr.Invalidf(op, "%s: the mandatory requisite is empty", f.key)
			}
			continue
		}
		if f.num != nil && *f.num(&p) < 0 {
			return nil, apperr.Invalidf(op, "%s: %d is negative", f.key, *f.num(&p))
		}
		if reason := f.check(value); reason != "" {
			return nil, apperr.Invalidf(op, "%s: %s", f.key, reason)
		}
		if reason := writable(value); reason != "" {
			return nil, apperr.Invalidf(op, "%s: %s", f.key, reason)
		}
		b, err := encodeText(enc, value)
		if err != nil {
			return nil, apperr.Invalidf(op, "%s: the value %v", f.key, err)
		}
		if got := detect(b, enc); got != enc {
			return nil, apperr.Invalidf(op, "%s: %q reads as %s, not %s (garbled text?); readers would misread the payload", f.key, value, got, enc)
		}
		out.WriteByte(separator)
		out.WriteString(f.key)
		out.WriteByte('=')
		out.Write(b)
		if f.key == "CorrespAcc" { // the last mandatory requisite
			if n := out.Len() - len(header) - 2; n > MaxMandatoryBlock {
				return nil, apperr.Invalidf(op, "Name, PersonalAcc, BankName, BIC, CorrespAcc: the mandatory block is %d bytes in %s, more than %d", n, enc, MaxMandatoryBlock)
			}
		}
	}
	if got := detect(out.Bytes()[len(header)+2:], enc); got != enc {
		return nil, apperr.Invalidf(op, "the payload's text reads as %s, not %s (garbled text?); readers would misread it", got, enc)
	}
	if out.Len() > MaxPayload {
		return nil, apperr.Invalidf(op, "the payload is %d bytes in %s, more than the %d a QR code of level M holds", out.Len(), enc, MaxPayload)
	}
	return out.Bytes(), nil
}

// value returns the requisite's text as written and whether it is present.
func (f field) value(p *Payment) (string, bool) {
	if f.num != nil {
		n := *f.num(p)
		if n == 0 {
			return "", false
		}
		return strconv.FormatInt(n, 10), true
	}
	v := *f.str(p)
	return v, v != ""
}

// check returns why value is not a valid value of the requisite, or "".
// Both the writer (an error) and the reader (a deviation) use it.
func (f field) check(value string) string {
	switch f.kind {
	case kindDigits:
		if !allDigits(value) {
			return fmt.Sprintf("%q must be digits only", value)
		}
		for _, n := range f.lens {
			if len(value) == n {
				return ""
			}
		}
		return fmt.Sprintf("%q has %d digits, want %s", value, len(value), lengths(f.lens))
	case kindAmount:
		if !allDigits(value) || len(value) > 18 {
			return fmt.Sprintf("%q must be kopecks, 1 to 18 digits", value)
		}
	case kindPeriod:
		if len(value) != 6 || !allDigits(value) || value[:2] < "01" || value[:2] > "12" {
			return fmt.Sprintf("%q must be a month as MMYYYY", value)
		}
	case kindKPP:
		if !validKPP(value) {
			return fmt.Sprintf("%q must be 9 characters: digits, with letters A-Z allowed in positions 5 and 6", value)
		}
	case kindTech:
		if len(value) != 2 || !allDigits(value) || value < "01" || value > "15" {
			return fmt.Sprintf("%q must be a code from 01 to 15 (02 is housing and utilities)", value)
		}
	default:
		if n := utf8.RuneCountInString(value); f.max > 0 && n > f.max {
			return fmt.Sprintf("%d characters, more than %d", n, f.max)
		}
	}
	return ""
}

// writable returns why the writer refuses a value whatever the requisite:
// the separator cannot be escaped, control characters break scanners, and
// edge spaces are invisible on the bill.
func writable(value string) string {
	if !utf8.ValidString(value) {
		return "the value is not valid UTF-8"
	}
	if strings.ContainsRune(value, separator) {
		return fmt.Sprintf("%q contains the separator %q, which cannot be escaped", value, separator)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return fmt.Sprintf("%q contains the control character %U", value, r)
		}
	}
	if strings.TrimSpace(value) != value {
		return fmt.Sprintf("%q begins or ends with a space", value)
	}
	return ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validKPP accepts the KPP format of the tax service: 4 digits (tax office),
// 2 digits or Latin capitals (reason), 3 digits (number).
func validKPP(s string) bool {
	if len(s) != 9 {
		return false
	}
	for i := 0; i < 9; i++ {
		c := s[i]
		digit := c >= '0' && c <= '9'
		if !digit && !((i == 4 || i == 5) && c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func lengths(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, " or ")
}
