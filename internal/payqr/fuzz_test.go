package payqr

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// FuzzDecode: any bytes give a payment or an Invalid error, never a panic;
// a payment the writer accepts reads back the same (Decode∘Encode∘Decode).
func FuzzDecode(f *testing.F) {
	for _, name := range []string{
		"gost56042-qr/qrcoder-win1251.bin", "gost56042-qr/qrcoder-koi8.bin", "gost56042-qr/gost56042-swift-win1251.bin",
		"synthetic/qr-zhku-1.utf8.txt", "synthetic/qr-zhku-1.cp1251.bin", "synthetic/qr-zhku-3.utf8.txt",
	} {
		f.Add(readSample(f, name))
	}
	f.Add([]byte(base + "|persAcc=1|Sum=12,5|PaymPeriod=январь 2021|Counterld=3|Sum=1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, devs, err := Decode(b)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error of kind %v: %v", apperr.KindOf(err), err)
			}
			return
		}
		for _, d := range devs {
			if d.Code == "" || d.Message == "" {
				t.Fatalf("empty deviation %+v", d)
			}
		}
		for _, enc := range []Encoding{UTF8, Windows1251, KOI8R} {
			out, err := Encode(p, enc)
			if err != nil {
				var ae *apperr.Error
				if !errors.As(err, &ae) || ae.Kind != apperr.Invalid {
					t.Fatalf("Encode: %v", err)
				}
				continue
			}
			back, devs, err := Decode(out)
			if err != nil || back != p || len(devs) != 0 {
				t.Fatalf("%s: %q read back as %+v, %+v, %v; want %+v", enc, out, back, devs, err, p)
			}
		}
	})
}

// FuzzEncodeDecode: whatever the writer accepts, the reader reads back
// unchanged and without a deviation, in every encoding.
func FuzzEncodeDecode(f *testing.F) {
	p := zhku1()
	f.Add(p.Name, p.BankName, p.Purpose, p.PersAcc, p.PaymPeriod, p.LastName, p.PayerAddress, p.Category, p.ServiceName, p.KPP, p.Sum, uint8(2))
	f.Add(`ООО «Три кита»`, `ОАО "БАНК"`, "", "", "", "Ёлкин", "", "", "", "", int64(0), uint8(1))
	f.Fuzz(func(t *testing.T, name, bank, purpose, persAcc, period, last, addr, cat, svc, kpp string, sum int64, enc uint8) {
		p := recipient()
		p.Name, p.BankName, p.Purpose, p.PersAcc, p.PaymPeriod = name, bank, purpose, persAcc, period
		p.LastName, p.PayerAddress, p.Category, p.ServiceName, p.KPP, p.Sum = last, addr, cat, svc, kpp, sum
		e := Encoding(enc%3 + 1)
		out, err := Encode(p, e)
		if err != nil {
			if !apperr.Is(err, apperr.Invalid) {
				t.Fatalf("error of kind %v: %v", apperr.KindOf(err), err)
			}
			return
		}
		if !bytes.HasPrefix(out, []byte{'S', 'T', '0', '0', '0', '1', e.Flag(), '|'}) || len(out) > MaxPayload {
			t.Fatalf("bad payload %q", out)
		}
		d, err := Inspect(out)
		if err != nil {
			t.Fatalf("Decode(%q): %v", out, err)
		}
		if d.Payment != p || len(d.Deviations) != 0 {
			t.Fatalf("%q read back as %+v %+v\nwant %+v", out, d.Payment, d.Deviations, p)
		}
		// An all-ASCII payload carries no charset evidence; otherwise the reader must agree with the flag.
		if d.Encoding != e && strings.IndexFunc(string(out), func(r rune) bool { return r >= 0x80 }) >= 0 {
			t.Fatalf("%q read as %s, written as %s", out, d.Encoding, e)
		}
	})
}
