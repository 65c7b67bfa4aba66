package bank

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzReader feeds arbitrary bytes to every built-in profile: the reader
// must never panic, must end, and what it yields must be consistent.
func FuzzReader(f *testing.F) {
	f.Add(cp1251(f, joinLines("\r\n", l1, l2, l3, tl)))
	f.Add(cp1251(f, joinLines("\n", l1, `15-03-2025;09-41-17;1;1;1;1;"a;""b";x;0225;1,00;1,00;0,00;1`, "=2;4513,37;4468,25;45,12;1;16-03-2025")))
	f.Add([]byte("1002003004;4512.37;15032500000000000000012345;551234;16.03.2025;101;345.120;102;112.004;;;;;;;;\r\n"))
	f.Add([]byte("\xEF\xBB\xBF=0;0;0;0;0;01-01-2025\n"))
	f.Add([]byte("\x00\x01garbage"))
	profiles := Builtin()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range profiles {
			r, err := NewReader(bytes.NewReader(data), "fuzz", p)
			if err != nil {
				var re *RejectedError
				if !errors.As(err, &re) || !r.Summary().Rejected() {
					t.Fatalf("NewReader: %v", err)
				}
				continue
			}
			rows := 0
			for n := 0; ; n++ {
				if n > len(data)+2 {
					t.Fatalf("%s: more results than lines", p.ID())
				}
				row, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				var le *LineError
				if errors.As(err, &le) {
					if le.Line < 1 || len(le.Problems) == 0 || !utf8.ValidString(le.Raw) {
						t.Fatalf("bad line error: %+v", le)
					}
					continue
				}
				if err != nil {
					if !r.Summary().Rejected() {
						t.Fatalf("%s: error %v without rejection", p.ID(), err)
					}
					break
				}
				rows++
				if row.Amount < 0 || row.Transfer < 0 || row.Commission < 0 || row.OperationID == "" || row.Account == "" {
					t.Fatalf("%s: impossible row %+v", p.ID(), row)
				}
				if !utf8.ValidString(row.Raw) || !utf8.ValidString(row.Payer) {
					t.Fatalf("%s: invalid text in row %+v", p.ID(), row)
				}
			}
			s := r.Summary()
			if int64(rows) > s.Computed.Count {
				t.Fatalf("%s: %d rows but count %d", p.ID(), rows, s.Computed.Count)
			}
		}
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"4512,37", "0.05", "4 512,37", "-1", "1,234", "99999999999999999", "+0,1"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, spaces bool) {
		k, err := ParseAmount(s, AmountSyntax{ThousandsSpaces: spaces})
		if err != nil {
			return
		}
		if k < 0 {
			t.Fatalf("ParseAmount(%q) = %d", s, k)
		}
		// What parsed must print back to the same value.
		back, err := ParseAmount(FormatAmount(k), AmountSyntax{})
		if err != nil || back != k {
			t.Fatalf("round trip %q → %d → %q → %d, %v", s, k, FormatAmount(k), back, err)
		}
	})
}

func FuzzSplitFields(f *testing.F) {
	f.Add(`a;"b;""c""";d`)
	f.Add(`"unterminated`)
	f.Add(`;;`)
	f.Fuzz(func(t *testing.T, line string) {
		fields, err := splitFields(line, ';', '"', nil)
		if err != nil {
			return
		}
		// Without quotes in the input, splitting is strings.Split.
		if !strings.Contains(line, `"`) && strings.Join(fields, ";") != line {
			t.Fatalf("split %q = %q", line, fields)
		}
		// Re-quoting every field and splitting again gives the same fields.
		q := make([]string, len(fields))
		for i, s := range fields {
			q[i] = `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		again, err := splitFields(strings.Join(q, ";"), ';', '"', nil)
		if err != nil || strings.Join(again, "\x00") != strings.Join(fields, "\x00") {
			t.Fatalf("requote %q: %q vs %q, %v", line, fields, again, err)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	f.Add([]byte("1CClientBankExchange\nВерсияФормата=1.03\nРасчСчет=1\nСекцияДокумент=Платежное поручение\nНомер=1\nДата=01.01.2025\nСумма=1.00\nКонецДокумента\nКонецФайла\n"))
	f.Add([]byte("1CClientBankExchange\r\nСекцияРасчСчет\r\nНачальныйОстаток=-5.00\r\nКонецФайла\r\n"))
	f.Add([]byte("1CClientBankExchange\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := ParseStatement(bytes.NewReader(data), "fuzz")
		if err != nil {
			var re *RejectedError
			if !errors.As(err, &re) || len(re.Problems) == 0 {
				t.Fatalf("error without problems: %v", err)
			}
			return
		}
		for _, d := range st.Documents {
			if d.Amount < 0 || d.Number == "" || d.Date.IsZero() {
				t.Fatalf("impossible document %+v", d)
			}
		}
	})
}

// FuzzParseProfiles feeds arbitrary JSON to the operator profile loader:
// it must refuse or accept without panicking, and what it accepts must be
// usable by the reader.
func FuzzParseProfiles(f *testing.F) {
	for _, p := range []string{"sber-zhku-13.json", "meters-17.json"} {
		b, err := builtinFS.ReadFile("profiles/" + p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"profiles": [{"name": "x", "version": 1, "bank": "b", "separator": "|", "encodings": ["utf-8"], "fields": 2,
		"columns": {"operation_id": 1, "account": 2, "amount": 2}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ps, err := ParseProfiles(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, p := range ps {
			r, err := NewReader(strings.NewReader("1;2;3\n"), "fuzz", p)
			if err != nil {
				continue
			}
			for range 3 {
				if _, err := r.Next(); errors.Is(err, io.EOF) {
					break
				}
			}
		}
	})
}

// FuzzLayout checks operator-written date layouts: a value that parses
// prints back to itself (every token is fixed-width digits).
func FuzzLayout(f *testing.F) {
	f.Add("DD-MM-YYYY", "15-03-2025")
	f.Add("MMYY", "1325")
	f.Add("hh-mm-ss", "09-41-17")
	f.Add("DD.MM.YY", "29.02.24")
	f.Fuzz(func(t *testing.T, layout, value string) {
		l, err := ParseLayout(layout)
		if err != nil {
			return
		}
		d, err := l.Parse(value)
		if err != nil {
			return
		}
		if got := l.Format(d); got != value {
			t.Fatalf("layout %q: %q parsed to %v, prints %q", layout, value, d, got)
		}
	})
}
