package bank

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// Encoding names a text encoding a registry may come in.
type Encoding string

// Encodings the reader knows. Registries come in cp1251 (most), DOS cp866
// (older ones) or UTF-8.
const (
	CP1251 Encoding = "cp1251"
	CP866  Encoding = "cp866"
	UTF8   Encoding = "utf-8"
)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ParseEncoding accepts the usual spellings of the supported encodings.
func ParseEncoding(s string) (Encoding, error) {
	switch string(bytes.ToLower([]byte(s))) {
	case "cp1251", "windows-1251", "win1251", "win-1251", "windows":
		return CP1251, nil
	case "cp866", "ibm866", "dos", "866":
		return CP866, nil
	case "utf-8", "utf8":
		return UTF8, nil
	}
	return "", fmt.Errorf("unknown encoding %q (want cp1251, cp866 or utf-8)", s)
}

// singleByte is a decode table for a single-byte code page; tables are built
// once from x/text's charmaps so decoding a line is a plain lookup.
type singleByte [256]rune

func newSingleByte(cm *charmap.Charmap) *singleByte {
	var t singleByte
	for i := range 256 {
		t[i] = cm.DecodeByte(byte(i))
	}
	return &t
}

// utf8Of holds the UTF-8 bytes of each code page byte, so decoding a line
// is appending table entries.
func (t *singleByte) utf8Of() *[256][]byte {
	var out [256][]byte
	for i, r := range t {
		out[i] = utf8.AppendRune(nil, r)
	}
	return &out
}

// decoder turns one raw line into UTF-8 text.
type decoder struct {
	enc Encoding
	tab *[256][]byte
	buf *[]byte // scratch, reused between lines
}

func newDecoder(enc Encoding) decoder {
	d := decoder{enc: enc, buf: new([]byte)}
	switch enc {
	case CP1251:
		d.tab = newSingleByte(charmap.Windows1251).utf8Of()
	case CP866:
		d.tab = newSingleByte(charmap.CodePage866).utf8Of()
	default:
		d.enc = UTF8
	}
	return d
}

// decode returns the text of b, or a reason why b is not in this encoding.
func (d decoder) decode(b []byte) (string, string) {
	if d.tab == nil {
		if !utf8.Valid(b) {
			return "", "line is not valid UTF-8 (mixed encoding?)"
		}
		return string(b), ""
	}
	ascii := true
	for _, c := range b {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b), ""
	}
	if g := guessHigh(b); g.confident && g.enc != d.enc {
		return "", fmt.Sprintf("line looks %s-encoded, the file is %s (mixed encoding)", g.enc, d.enc)
	}
	out := (*d.buf)[:0]
	for _, c := range b {
		if c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, d.tab[c]...)
		}
	}
	*d.buf = out
	return string(out), ""
}

// guess is the verdict of the encoding heuristic on some bytes.
type guess struct {
	enc       Encoding
	confident bool // enough evidence to call a line of another encoding a mismatch
	highBytes int
}

// guessHigh looks only at bytes ≥ 0x80. Valid multi-byte UTF-8 wins outright
// (Cyrillic cp1251 or cp866 text is practically never valid UTF-8). Between
// the two code pages it counts how many high bytes decode to Cyrillic letters
// in each: cp1251 upper case lands on cp866 box drawing, cp866 text lands on
// cp1251 punctuation and rare letters.
func guessHigh(b []byte) guess {
	high, l1251, l866 := 0, 0, 0
	for _, c := range b {
		if c < 0x80 {
			continue
		}
		high++
		if c >= 0xC0 || c == 0xA8 || c == 0xB8 {
			l1251++
		}
		if c <= 0xAF || (c >= 0xE0 && c <= 0xF1) {
			l866++
		}
	}
	if high == 0 {
		return guess{}
	}
	if utf8.Valid(b) {
		return guess{enc: UTF8, confident: high >= 2, highBytes: high}
	}
	g := guess{enc: CP1251, highBytes: high}
	best, other := l1251, l866
	if l866 > l1251 {
		g.enc, best, other = CP866, l866, l1251
	}
	// Confident when the winner reads (almost) all high bytes as letters and
	// the loser clearly does not; short lines rarely reach that.
	g.confident = high >= 4 && best*10 >= high*9 && other*10 <= high*6
	return g
}

// Detection is what DetectEncoding decided about a file's first bytes.
type Detection struct {
	Encoding Encoding // the encoding decided on
	BOM      bool     // the file starts with a UTF-8 byte order mark
	ASCII    bool     // no byte ≥ 0x80 in the sample: any encoding fits
}

// DetectEncoding decides the encoding of a sample taken from the start of a
// file. fallback is used for pure ASCII samples. A UTF-8 sequence cut at the
// end of the sample is tolerated.
func DetectEncoding(sample []byte, fallback Encoding) Detection {
	if bytes.HasPrefix(sample, utf8BOM) {
		return Detection{Encoding: UTF8, BOM: true}
	}
	// Drop a possibly cut multi-byte sequence at the end of the sample.
	trimmed := sample
	for i := 0; i < 3 && len(trimmed) > 0; i++ {
		r, _ := utf8.DecodeLastRune(trimmed)
		if r != utf8.RuneError || trimmed[len(trimmed)-1] < 0x80 {
			break
		}
		trimmed = trimmed[:len(trimmed)-1]
	}
	g := guessHigh(trimmed)
	if g.highBytes == 0 {
		return Detection{Encoding: fallback, ASCII: true}
	}
	return Detection{Encoding: g.enc}
}

// LineDecoder turns raw lines of a file in one encoding into UTF-8 text,
// refusing a line that plainly belongs to another encoding. It lets other
// connectors (charge files) share the registries' encoding checks.
type LineDecoder struct{ d decoder }

// NewLineDecoder returns a decoder for enc (UTF-8 for an unknown value).
func NewLineDecoder(enc Encoding) *LineDecoder { return &LineDecoder{d: newDecoder(enc)} }

// Decode returns the text of b, or "" and the reason b is not in the
// decoder's encoding. The text does not alias b.
func (l *LineDecoder) Decode(b []byte) (text, problem string) { return l.d.decode(b) }
