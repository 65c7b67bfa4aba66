// Package payqr writes and reads the payment QR code of GOST R 56042-2014
// ("ST00012|Name=…|PersonalAcc=…|…") for housing and utility bills, and renders
// it as an image. The writer is strict: it emits only what the standard allows
// and refuses anything else with an apperr.Invalid error naming the field. The
// reader is lenient: real payloads break the rules (lower-case keys, rubles in
// Sum, a wrong encoding flag), so it reads what it can and reports every
// deviation from the standard.
package payqr

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"golang.org/x/text/encoding/charmap"
)

// Limits of the format.
const (
	// MaxPayload is the most bytes a QR code of error correction level M
	// holds in byte mode (version 40); nothing longer can be printed.
	MaxPayload = 2331
	// MaxMandatoryBlock is the most bytes the five mandatory requisites may
	// take after the 8-byte header (the limit QRCoder enforces after the
	// standard; bank apps expect the recipient block to be short).
	MaxMandatoryBlock = 300
	// header is "ST" + version "0001"; the encoding flag and the separator follow.
	header = "ST0001"
	// separator is the one this package writes.
	separator = '|'
)

// Encoding is the character set of a payload, named by the digit after "ST0001".
type Encoding byte

// The three encodings of the standard; the value is the flag digit.
const (
	Windows1251 Encoding = 1
	UTF8        Encoding = 2
	KOI8R       Encoding = 3
)

// String returns the short name used by the CLI: cp1251, utf8 or koi8r.
func (e Encoding) String() string {
	switch e {
	case Windows1251:
		return "cp1251"
	case UTF8:
		return "utf8"
	case KOI8R:
		return "koi8r"
	}
	return fmt.Sprintf("encoding(%d)", byte(e))
}

// MarshalText writes the short name, so JSON output says "utf8", not 2; the
// zero value (no encoding) is empty.
func (e Encoding) MarshalText() ([]byte, error) {
	if e == 0 {
		return nil, nil
	}
	return []byte(e.String()), nil
}

// UnmarshalText reads a name ParseEncoding accepts; empty is the zero value.
func (e *Encoding) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*e = 0
		return nil
	}
	v, err := ParseEncoding(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Flag returns the ASCII digit written after "ST0001".
func (e Encoding) Flag() byte { return '0' + byte(e) }

func (e Encoding) valid() bool { return e >= Windows1251 && e <= KOI8R }

// ParseEncoding reads an encoding name: utf8, cp1251 or koi8r (also utf-8,
// windows-1251, koi8-r, or the flag digit).
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "cp1251", "windows-1251", "win1251", "1":
		return Windows1251, nil
	case "utf8", "utf-8", "2":
		return UTF8, nil
	case "koi8r", "koi8-r", "3":
		return KOI8R, nil
	}
	return 0, apperr.Invalidf("payqr: encoding", "unknown encoding %q (want utf8, cp1251 or koi8r)", s)
}

// encodeText converts UTF-8 text to the payload's charset; it fails on a rune
// the charset cannot hold (KOI8-R has no «», for example).
func encodeText(e Encoding, s string) ([]byte, error) {
	switch e {
	case UTF8:
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("is not valid UTF-8")
		}
		return []byte(s), nil
	case Windows1251, KOI8R:
		cm := charmap.Windows1251
		if e == KOI8R {
			cm = charmap.KOI8R
		}
		for _, r := range s {
			if _, ok := cm.EncodeRune(r); !ok {
				return nil, fmt.Errorf("has %q, which %s cannot encode", r, e)
			}
		}
		return cm.NewEncoder().Bytes([]byte(s))
	}
	return nil, fmt.Errorf("unknown encoding %d", byte(e))
}

// decodeText converts payload bytes in charset e to UTF-8. Single-byte
// charsets map every byte; invalid UTF-8 becomes U+FFFD.
func decodeText(e Encoding, b []byte) string {
	switch e {
	case Windows1251:
		s, _ := charmap.Windows1251.NewDecoder().Bytes(b)
		return string(s)
	case KOI8R:
		s, _ := charmap.KOI8R.NewDecoder().Bytes(b)
		return string(s)
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
