package payqr

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"golang.org/x/text/encoding/charmap"
)

// Every sample payload, with the payment and the deviations its provenance
// (../shared/spec/samples/PROVENANCE.md) says it carries.
func TestDecodeSamples(t *testing.T) {
	swift := qrcoderRecipient("ООО «Три кита»")
	swift.CorrespAcc = "30101810400000000225"
	swift.PayeeINN = "6200098765"
	swift.LastName, swift.FirstName, swift.MiddleName = "Иванов", "Иван", "Иванович"
	swift.Purpose = "Оплата членского взноса"
	swift.PayerAddress = "г.Рязань ул.Ленина д.10 кв.15"
	// Sum stays 0: "100000" is followed by the stray byte 0xA7 ("§"), and the
	// reader does not guess an amount of money.
	zhku2 := recipient()
	zhku2.Sum, zhku2.Purpose, zhku2.PersAcc, zhku2.PaymPeriod, zhku2.AddAmount, zhku2.TechCode =
		37154, "Пени по л/с 1002003004", "1002003004", "022025", 37154, "02"
	zhku3 := recipient()
	zhku3.Sum, zhku3.PersAcc, zhku3.PaymPeriod, zhku3.ServiceName, zhku3.CounterID, zhku3.CounterVal, zhku3.TechCode =
		98410, "1002003005", "022025", "ХВС", "101", "345.120", "02"

	for _, tc := range []struct {
		file string
		want Payment
		enc  Encoding
		devs []string
	}{
		// QRCoder adds a trailing separator.
		{"gost56042-qr/qrcoder-win1251.bin", qrcoderRecipient("ООО «Три кита»"), Windows1251, []string{"trailing_separator"}},
		// The same in KOI8-R, where «» became <>.
		{"gost56042-qr/qrcoder-koi8.bin", qrcoderRecipient("ООО <Три кита>"), KOI8R, []string{"trailing_separator"}},
		// A stray byte and an LF after the last requisite.
		{"gost56042-qr/gost56042-swift-win1251.bin", swift, Windows1251, []string{"trailing_newline", "invalid_value:Sum"}},
		{"synthetic/qr-zhku-1.utf8.txt", zhku1(), UTF8, []string{}},
		{"synthetic/qr-zhku-1.cp1251.bin", zhku1(), Windows1251, []string{}},
		{"synthetic/qr-zhku-2.utf8.txt", zhku2, UTF8, []string{}},
		{"synthetic/qr-zhku-3.utf8.txt", zhku3, UTF8, []string{}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			d, err := Inspect(readSample(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if d.Payment != tc.want {
				t.Errorf("payment:\n got %+v\nwant %+v", d.Payment, tc.want)
			}
			if d.Encoding != tc.enc || d.Flag != tc.enc {
				t.Errorf("encoding %s, flag %s; want %s", d.Encoding, d.Flag, tc.enc)
			}
			if got := codes(d.Deviations); !reflect.DeepEqual(got, tc.devs) {
				t.Errorf("deviations %v, want %v\n%+v", got, tc.devs, d.Deviations)
			}
		})
	}
}

// A wrong flag on real bytes: the reader trusts the bytes and says so.
func TestDecodeDetectsTheRealEncoding(t *testing.T) {
	withFlag := func(name string, flag byte) []byte {
		b := bytes.Clone(readSample(t, name))
		b[6] = flag
		return b
	}
	for _, tc := range []struct {
		name    string
		payload []byte
		want    Payment
		enc     Encoding
	}{
		{"utf8 bytes flagged cp1251", withFlag("synthetic/qr-zhku-1.utf8.txt", '1'), zhku1(), UTF8},
		{"utf8 bytes flagged koi8r", withFlag("synthetic/qr-zhku-1.utf8.txt", '3'), zhku1(), UTF8},
		{"cp1251 bytes flagged utf8", withFlag("synthetic/qr-zhku-1.cp1251.bin", '2'), zhku1(), Windows1251},
		{"cp1251 bytes flagged koi8r", withFlag("synthetic/qr-zhku-1.cp1251.bin", '3'), zhku1(), Windows1251},
		{"koi8r bytes flagged cp1251", withFlag("gost56042-qr/qrcoder-koi8.bin", '1'), qrcoderRecipient("ООО <Три кита>"), KOI8R},
		{"koi8r bytes flagged utf8", withFlag("gost56042-qr/qrcoder-koi8.bin", '2'), qrcoderRecipient("ООО <Три кита>"), KOI8R},
		{"whole koi8r bill flagged cp1251", func() []byte {
			b, _ := Encode(zhku1(), KOI8R)
			b[6] = '1'
			return b
		}(), zhku1(), KOI8R},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Inspect(tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			if d.Encoding != tc.enc || d.Payment != tc.want {
				t.Errorf("read as %s: %+v\nwant %s: %+v", d.Encoding, d.Payment, tc.enc, tc.want)
			}
			found := false
			for _, dv := range d.Deviations {
				found = found || dv.Code == DevEncodingMismatch
			}
			if !found {
				t.Errorf("no encoding_mismatch in %+v", d.Deviations)
			}
		})
	}
}

// base is a conforming payload; each case changes it and names what the reader must report.
const base = "ST00012|Name=ООО \"РЦ\"|PersonalAcc=40702810600000012345|BankName=ПАО ТЕСТБАНК|BIC=044525999|CorrespAcc=30101810845250000999"

func TestDecodeReportsDeviations(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		devs    []string
		check   func(Payment) bool // what was read despite the deviation
	}{
		{"conforming", base + "|Sum=100|PersAcc=1|PaymPeriod=022025", []string{}, func(p Payment) bool { return p.Sum == 100 && p.PersAcc == "1" }},
		{"lower-case keys", base + "|persAcc=502045019|paymPeriod=012024|lastName=Иванов",
			[]string{"key_case:PersAcc", "key_case:PaymPeriod", "key_case:LastName"},
			func(p Payment) bool {
				return p.PersAcc == "502045019" && p.PaymPeriod == "012024" && p.LastName == "Иванов"
			}},
		{"upper-case key", base + "|SUM=100", []string{"key_case:Sum"}, func(p Payment) bool { return p.Sum == 100 }},
		{"misspelled keys", base + "|Counterld=7|TaxPayKind=01|СВС=18210101", []string{"key_misspelled:CounterId", "key_misspelled:TaxPaytKind", "key_misspelled:CBC"},
			func(p Payment) bool { return p.CounterID == "7" && p.TaxPaytKind == "01" && p.CBC == "18210101" }},
		{"sum in rubles with a dot", base + "|Sum=4512.37", []string{"sum_in_rubles:Sum"}, func(p Payment) bool { return p.Sum == 451237 }},
		{"sum in rubles with a comma", base + "|Sum=4512,3", []string{"sum_in_rubles:Sum"}, func(p Payment) bool { return p.Sum == 451230 }},
		{"sum in words", base + "|Sum=3832 руб. 96 коп.", []string{"sum_in_rubles:Sum"}, func(p Payment) bool { return p.Sum == 383296 }},
		{"sum nonsense", base + "|Sum=сто рублей", []string{"invalid_value:Sum"}, func(p Payment) bool { return p.Sum == 0 }},
		{"sum of 19 digits", base + "|Sum=1000000000000000000", []string{"invalid_value:Sum"}, func(p Payment) bool { return p.Sum == 0 }},
		{"penalty in rubles", base + "|AddAmount=12.50", []string{"sum_in_rubles:AddAmount"}, func(p Payment) bool { return p.AddAmount == 1250 }},
		{"period MMYY", base + "|PaymPeriod=0120", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "012020" }},
		{"period MM.YYYY", base + "|PaymPeriod=01.2024", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "012024" }},
		{"period YYYY-MM", base + "|PaymPeriod=2024-03", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "032024" }},
		{"period YYYYMMDD", base + "|PaymPeriod=20230500", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "052023" }},
		{"period in words", base + "|PaymPeriod=январь 2021", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "012021" }},
		{"period May in words", base + "|PaymPeriod=Май 2025 г.", []string{"period_format:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "052025" }},
		{"period nonsense", base + "|PaymPeriod=зима", []string{"invalid_value:PaymPeriod"}, func(p Payment) bool { return p.PaymPeriod == "зима" }},
		{"unknown key", base + "|Amount=100|PersAcc=1", []string{"unknown_key"}, func(p Payment) bool { return p.PersAcc == "1" }},
		{"duplicate key", base + "|PersAcc=1|PersAcc=2", []string{"duplicate_key:PersAcc"}, func(p Payment) bool { return p.PersAcc == "1" }},
		{"duplicate by case", base + "|PersAcc=1|persacc=2", []string{"key_case:PersAcc", "duplicate_key:PersAcc"}, func(p Payment) bool { return p.PersAcc == "1" }},
		{"missing mandatory", "ST00012|Name=ООО|PersonalAcc=40702810600000012345|BankName=Банк|BIC=044525999|Sum=1",
			[]string{"missing_mandatory:CorrespAcc"}, func(p Payment) bool { return p.Sum == 1 }},
		{"mandatory out of order", "ST00012|Name=ООО|BIC=044525999|PersonalAcc=40702810600000012345|BankName=Банк|CorrespAcc=30101810845250000999",
			[]string{"mandatory_order"}, func(p Payment) bool { return p.BIC == "044525999" }},
		{"optional before mandatory", "ST00012|Sum=5|Name=ООО|PersonalAcc=40702810600000012345|BankName=Банк|BIC=044525999|CorrespAcc=30101810845250000999",
			[]string{"mandatory_order"}, func(p Payment) bool { return p.Sum == 5 }},
		{"invalid BIC", strings.Replace(base, "BIC=044525999", "BIC=04452599", 1), []string{"invalid_value:BIC"}, func(p Payment) bool { return p.BIC == "04452599" }},
		{"invalid INN", base + "|PayeeINN=123", []string{"invalid_value:PayeeINN"}, func(p Payment) bool { return p.PayeeINN == "123" }},
		{"BOM", "\xEF\xBB\xBF" + base, []string{"bom"}, func(p Payment) bool { return p.BIC == "044525999" }},
		{"CRLF", base + "\r\n", []string{"trailing_newline"}, func(p Payment) bool { return p.CorrespAcc == "30101810845250000999" }},
		{"trailing separator and LF", base + "|\n", []string{"trailing_newline", "trailing_separator"}, func(p Payment) bool { return p.CorrespAcc != "" }},
		{"empty field", base + "||Sum=1", []string{"empty_field"}, func(p Payment) bool { return p.Sum == 1 }},
		{"no equals sign", base + "|Sum1", []string{"malformed_field"}, func(p Payment) bool { return p.Sum == 0 }},
		{"empty value", base + "|PersAcc=", []string{"empty_value:PersAcc"}, func(p Payment) bool { return p.PersAcc == "" }},
		{"spaces around a value", base + "|PersAcc= 77 ", []string{"value_whitespace:PersAcc"}, func(p Payment) bool { return p.PersAcc == "77" }},
		{"lower-case header", "st0001" + base[6:], []string{"header_case"}, func(p Payment) bool { return p.BIC != "" }},
		{"unknown flag digit", "ST00019" + base[7:], []string{"unknown_encoding_flag", "encoding_mismatch"}, func(p Payment) bool { return p.Name == `ООО "РЦ"` }},
		{"another separator", strings.ReplaceAll(base, "|", "#") + "#Sum=1", []string{}, func(p Payment) bool { return p.Sum == 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, devs, err := Decode([]byte(tc.payload))
			if err != nil {
				t.Fatal(err)
			}
			if got := codes(devs); !reflect.DeepEqual(got, tc.devs) {
				t.Errorf("deviations %v, want %v\n%+v", got, tc.devs, devs)
			}
			if !tc.check(p) {
				t.Errorf("payment read wrong: %+v", p)
			}
			for _, d := range devs {
				if d.Message == "" {
					t.Errorf("deviation %s has no message", d.Code)
				}
			}
		})
	}
}

func TestDecodeRefusesWhatIsNotAPayload(t *testing.T) {
	cp1251 := func(s string) string {
		b, _ := charmap.Windows1251.NewEncoder().String(s)
		return b
	}
	for _, tc := range []struct {
		name, payload, want string
	}{
		{"empty", "", "do not begin with the header ST0001"},
		{"header only", "ST0001", "do not begin with the header"},
		{"a URL", "https://example.com/pay?sum=1", "do not begin with the header ST0001<flag><separator> (found \"https://\")"},
		{"registry line", cp1251("15-03-2025;09-41-17;8609;860900123"), "do not begin with the header"},
		{"version 0002", "ST00022|Name=x", "do not begin with the header"},
		{"letter flag", "ST0001X|Name=x", "byte 7 must be the encoding flag"},
		{"letter separator", "ST00012AName=x", "byte 8 must be the separator"},
		{"binary garbage", "ST00012|Name=\x00\x01\x02\xff", "byte 14 is the control byte 0x00"},
		{"binary after a BOM", "\xEF\xBB\xBFST00012|\x00", "byte 12 is the control byte 0x00"},
		{"no requisites", "ST00012|just text", "no Key=Value requisite"},
		{"too large", "ST00012|Name=" + strings.Repeat("x", MaxQRBytes), "more than any QR code holds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode([]byte(tc.payload))
			if !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v; want Invalid containing %q", err, tc.want)
			}
		})
	}
}

// Whatever the writer writes, the reader reads back unchanged, with no deviation, in every encoding.
func TestRoundTrip(t *testing.T) {
	full := zhku1()
	full.Name = `ООО "РЦ Тестоград"`
	full.PayerINN, full.DrawerStatus, full.CBC, full.OKTMO = "772099999912", "01", "18210101", "45000000"
	full.PaytReason, full.TaxPeriod, full.DocNo, full.DocDate, full.TaxPaytKind = "ТП", "МС.02.2025", "15", "01.02.2025", "01"
	full.Flat, full.Phone, full.ServiceName, full.CounterID, full.CounterVal = "12", "+79001234567", "ХВС", "101", "345.120"
	full.QuittID, full.QuittDate, full.PaymTerm, full.AddAmount = "000123", "01.03.2025", "10.03.2025", 1250
	full.PersonalAccount, full.DocIdx, full.PensAcc, full.Contract = "03123", "7", "123-456-789 01", "Д-1"
	full.PayerIDType, full.PayerIDNum, full.ChildFio, full.BirthDate = "01", "4510 123456", "Иванов Пётр", "01.01.2015"
	full.InstNum, full.ClassNum, full.SpecFio, full.RuleID, full.ExecID, full.RegType, full.UIN = "5", "1А", "Петров", "R1", "E1", "RT", "0316373317011300000012345"
	if v := reflect.ValueOf(full); true {
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).IsZero() {
				t.Fatalf("the round trip leaves %s empty", v.Type().Field(i).Name)
			}
		}
	}
	for _, p := range []Payment{zhku1(), full, qrcoderRecipient("Ё")} {
		for _, enc := range []Encoding{UTF8, Windows1251, KOI8R} {
			b, err := Encode(p, enc)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Inspect(b)
			if err != nil {
				t.Fatal(err)
			}
			if d.Payment != p || len(d.Deviations) != 0 || d.Encoding != enc {
				t.Errorf("%s: read back as %s %+v, deviations %+v", enc, d.Encoding, d.Payment, d.Deviations)
			}
		}
	}
}
