package payqr

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// The synthetic samples were written in the writer's order, so encoding
// their payments must give them back byte for byte, in both encodings.
func TestEncodeReproducesSyntheticSamples(t *testing.T) {
	zhku2 := recipient()
	zhku2.Sum, zhku2.Purpose, zhku2.PersAcc, zhku2.PaymPeriod, zhku2.AddAmount, zhku2.TechCode =
		37154, "Пени по л/с 1002003004", "1002003004", "022025", 37154, "02"
	zhku3 := recipient()
	zhku3.Sum, zhku3.PersAcc, zhku3.PaymPeriod, zhku3.ServiceName, zhku3.CounterID, zhku3.CounterVal, zhku3.TechCode =
		98410, "1002003005", "022025", "ХВС", "101", "345.120", "02"
	for _, tc := range []struct {
		file string
		p    Payment
		enc  Encoding
	}{
		{"synthetic/qr-zhku-1.utf8.txt", zhku1(), UTF8},
		{"synthetic/qr-zhku-1.cp1251.bin", zhku1(), Windows1251},
		{"synthetic/qr-zhku-2.utf8.txt", zhku2, UTF8},
		{"synthetic/qr-zhku-3.utf8.txt", zhku3, UTF8},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got, err := Encode(tc.p, tc.enc)
			if err != nil {
				t.Fatal(err)
			}
			if want := readSample(t, tc.file); !bytes.Equal(got, want) {
				t.Errorf("Encode:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestEncodeRefusesEveryBadRequisite(t *testing.T) {
	long := func(n int) string { return strings.Repeat("я", n) }
	for _, tc := range []struct {
		name   string
		change func(*Payment)
		enc    Encoding
		want   string // the error must name the requisite and say why
	}{
		{"empty Name", func(p *Payment) { p.Name = "" }, UTF8, "Name: the mandatory requisite is empty"},
		{"long Name", func(p *Payment) { p.Name = long(161) }, Windows1251, "Name: 161 characters, more than 160"},
		{"short PersonalAcc", func(p *Payment) { p.PersonalAcc = "4070281060000001234" }, UTF8, "PersonalAcc: \"4070281060000001234\" has 19 digits, want 20"},
		{"letter in PersonalAcc", func(p *Payment) { p.PersonalAcc = "40702810X00000012345" }, UTF8, "PersonalAcc: \"40702810X00000012345\" must be digits only"},
		{"empty PersonalAcc", func(p *Payment) { p.PersonalAcc = "" }, UTF8, "PersonalAcc: the mandatory requisite is empty"},
		{"empty BankName", func(p *Payment) { p.BankName = "" }, UTF8, "BankName: the mandatory requisite is empty"},
		{"long BankName", func(p *Payment) { p.BankName = long(46) }, UTF8, "BankName: 46 characters, more than 45"},
		{"short BIC", func(p *Payment) { p.BIC = "04452599" }, UTF8, "BIC: \"04452599\" has 8 digits, want 9"},
		{"spaced BIC", func(p *Payment) { p.BIC = "044 525 999" }, UTF8, "BIC: \"044 525 999\" must be digits only"},
		{"empty BIC", func(p *Payment) { p.BIC = "" }, UTF8, "BIC: the mandatory requisite is empty"},
		{"short CorrespAcc", func(p *Payment) { p.CorrespAcc = "0" }, UTF8, "CorrespAcc: \"0\" has 1 digits, want 20"},
		{"empty CorrespAcc", func(p *Payment) { p.CorrespAcc = "" }, UTF8, "CorrespAcc: the mandatory requisite is empty"},
		{"INN of 11 digits", func(p *Payment) { p.PayeeINN = "77209999990" }, UTF8, "PayeeINN: \"77209999990\" has 11 digits, want 10 or 12"},
		{"payer INN with a letter", func(p *Payment) { p.PayerINN = "77209999a9" }, UTF8, "PayerINN: \"77209999a9\" must be digits only"},
		{"short KPP", func(p *Payment) { p.KPP = "77200100" }, UTF8, "KPP: \"77200100\" must be 9 characters"},
		{"KPP letter outside 5-6", func(p *Payment) { p.KPP = "7720010A1" }, UTF8, "KPP: \"7720010A1\" must be 9 characters"},
		{"negative Sum", func(p *Payment) { p.Sum = -1 }, UTF8, "Sum: -1 is negative"},
		{"19-digit Sum", func(p *Payment) { p.Sum = 1_000_000_000_000_000_000 }, UTF8, "Sum: \"1000000000000000000\" must be kopecks, 1 to 18 digits"},
		{"negative AddAmount", func(p *Payment) { p.AddAmount = -5 }, UTF8, "AddAmount: -5 is negative"},
		{"long Purpose", func(p *Payment) { p.Purpose = long(211) }, Windows1251, "Purpose: 211 characters, more than 210"},
		{"long DrawerStatus", func(p *Payment) { p.DrawerStatus = "123" }, UTF8, "DrawerStatus: 3 characters, more than 2"},
		{"long CBC", func(p *Payment) { p.CBC = strings.Repeat("1", 21) }, UTF8, "CBC: 21 characters, more than 20"},
		{"long OKTMO", func(p *Payment) { p.OKTMO = strings.Repeat("1", 12) }, UTF8, "OKTMO: 12 characters, more than 11"},
		{"long PaytReason", func(p *Payment) { p.PaytReason = "ТПП" }, UTF8, "PaytReason: 3 characters, more than 2"},
		{"long TaxPeriod", func(p *Payment) { p.TaxPeriod = "МС.01.20251" }, UTF8, "TaxPeriod: 11 characters, more than 10"},
		{"long DocNo", func(p *Payment) { p.DocNo = strings.Repeat("1", 16) }, UTF8, "DocNo: 16 characters, more than 15"},
		{"long DocDate", func(p *Payment) { p.DocDate = "01.02.20255" }, UTF8, "DocDate: 11 characters, more than 10"},
		{"long TaxPaytKind", func(p *Payment) { p.TaxPaytKind = "ПЕН" }, UTF8, "TaxPaytKind: 3 characters, more than 2"},
		{"period MM.YYYY", func(p *Payment) { p.PaymPeriod = "02.2025" }, UTF8, "PaymPeriod: \"02.2025\" must be a month as MMYYYY"},
		{"period MMYY", func(p *Payment) { p.PaymPeriod = "0225" }, UTF8, "PaymPeriod: \"0225\" must be a month as MMYYYY"},
		{"period month 13", func(p *Payment) { p.PaymPeriod = "132025" }, UTF8, "PaymPeriod: \"132025\" must be a month as MMYYYY"},
		{"TechCode 2", func(p *Payment) { p.TechCode = "2" }, UTF8, "TechCode: \"2\" must be a code from 01 to 15"},
		{"TechCode 16", func(p *Payment) { p.TechCode = "16" }, UTF8, "TechCode: \"16\" must be a code from 01 to 15"},
		{"separator in a value", func(p *Payment) { p.PayerAddress = "ул. Ленина|1" }, UTF8, "PayerAddress: \"ул. Ленина|1\" contains the separator '|'"},
		{"newline in a value", func(p *Payment) { p.Purpose = "ЖКУ\nфевраль" }, UTF8, "Purpose: \"ЖКУ\\nфевраль\" contains the control character U+000A"},
		{"edge space", func(p *Payment) { p.LastName = "Иванов " }, UTF8, "LastName: \"Иванов \" begins or ends with a space"},
		{"invalid UTF-8", func(p *Payment) { p.FirstName = "\xff" }, UTF8, "FirstName: the value is not valid UTF-8"},
		{"« in KOI8-R", func(p *Payment) { p.Name = "ООО «РЦ»" }, KOI8R, "Name: the value has '«', which koi8r cannot encode"},
		{"Latin ß in cp1251", func(p *Payment) { p.LastName = "Weiß" }, Windows1251, "LastName: the value has 'ß', which cp1251 cannot encode"},
		{"₽ in cp1251", func(p *Payment) { p.Purpose = "100 ₽" }, Windows1251, "Purpose: the value has '₽', which cp1251 cannot encode"},
		{"UTF-8 read as cp1251", func(p *Payment) { p.LastName = "РџРµС‚СЂРѕРІ" }, Windows1251, "LastName: \"РџРµС‚СЂРѕРІ\" reads as utf8, not cp1251 (garbled text?)"},
		{"mandatory block over 300 bytes", func(p *Payment) { p.Name = long(160); p.BankName = long(45) }, UTF8, "the mandatory block is 504 bytes in utf8, more than 300"},
		{"payload over the QR limit", func(p *Payment) { p.PayerAddress = strings.Repeat("д", 2400) }, Windows1251, "the payload is 2750 bytes in cp1251, more than the 2331"},
		{"unknown encoding", func(*Payment) {}, Encoding(4), "unknown encoding 4"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := zhku1()
			tc.change(&p)
			got, err := Encode(p, tc.enc)
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Encode = %q, %v; want an Invalid error containing %q", got, err, tc.want)
			}
		})
	}
}

// Values the standard allows at its limits are written.
func TestEncodeAcceptsLimits(t *testing.T) {
	p := zhku1()
	p.Name = strings.Repeat("я", 160)
	p.BankName = strings.Repeat("б", 45)
	p.Purpose = strings.Repeat("п", 210)
	p.Sum = maxAmount
	p.PayerINN = "772099999912"
	p.KPP = "7720AB001"
	p.TechCode = "15"
	p.PaymPeriod = "122025"
	if _, err := Encode(p, Windows1251); err != nil {
		t.Fatal(err)
	}
}

// Golden payloads of the canonical bill in the three encodings, and its
// image: a change of order, format or rendering shows up here. Rewrite with
// go test ./internal/payqr -run TestGolden -update.
func TestGolden(t *testing.T) {
	p := zhku1()
	p.Name = `ООО "РЦ Тестоград"` // KOI8-R has no «», so the canonical name uses straight quotes
	for _, enc := range []Encoding{UTF8, Windows1251, KOI8R} {
		got, err := Encode(p, enc)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, "zhku-"+enc.String()+".bin", got)
		again, _ := Encode(p, enc)
		if !bytes.Equal(got, again) {
			t.Errorf("%s: Encode is not deterministic", enc)
		}
	}
	payload, _ := Encode(p, Windows1251)
	img, err := PNG(payload, 400)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "zhku-cp1251.png", img)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (%d bytes, want %d); run with -update if the change is intended", name, len(got), len(want))
	}
}
