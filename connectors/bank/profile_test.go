package bank

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuiltinProfiles(t *testing.T) {
	set := NewSet(Builtin()...)
	want := []string{"meters-17@1", "sber-zhku-12@1", "sber-zhku-13@1"}
	if got := strings.Join(set.Names(), " "); got != strings.Join(want, " ") {
		t.Errorf("builtin profiles = %s, want %s", got, want)
	}
	p, err := set.Get("sber-zhku-13@1")
	if err != nil || p.Fields != 13 || p.Bank != "sberbank" {
		t.Fatalf("Get = %+v, %v", p, err)
	}
	if _, err := set.Get("vtb-9"); err == nil || !strings.Contains(err.Error(), "known: meters-17@1") {
		t.Errorf("Get unknown = %v", err)
	}
}

// TestOperatorProfile defines a new bank contract in a config file, with
// no code: the Tagil-style 6-field registry, '|' separated, UTF-8.
func TestOperatorProfile(t *testing.T) {
	conf := `{
	  "name": "tagil-sber-6", "version": 2, "bank": "sberbank-tagil",
	  "separator": "|", "encodings": ["utf-8", "cp1251"], "fields": 6,
	  "columns": {"operation_id": 1, "date": 2, "account": 3, "amount": 4, "order_number": 5, "order_date": 6},
	  "date_layout": "DD.MM.YYYY",
	  "services": [],
	  "amounts": {"thousands_spaces": true}
	}`
	path := filepath.Join(t.TempDir(), "profiles.json")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := LoadSet(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := set.Get("tagil-sber-6")
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, []byte("15032500000000000000012345|15.03.2025|1002003004|4 512.37|551234|16.03.2025\n"), p)
	if len(res.rows) != 1 || res.err != nil || len(res.lineErrs) > 0 {
		t.Fatalf("read: %+v", res)
	}
	r := res.rows[0]
	if r.Amount != 451237 || r.Account != "1002003004" || r.OrderNumber != "551234" || r.OrderDate.Day() != 16 {
		t.Errorf("row = %+v", r)
	}
}

func TestProfileErrors(t *testing.T) {
	base := `"name": "x", "version": 1, "bank": "b", "separator": ";", "encodings": ["cp1251"], "fields": 3, "date_layout": "DD.MM.YYYY"`
	tests := []struct{ conf, want string }{
		{`{` + base + `, "columns": {"date": 1, "operation_id": 2, "account": 3, "amount": 3}}`, `column 3 is already used by account`},
		{`{` + base + `, "columns": {"date": 1, "operation_id": 2, "account": 3, "amount": 4}}`, `amount: column 4 outside 1..3`},
		{`{` + base + `, "columns": {"date": 1, "operation_id": 2, "acount": 3}}`, `unknown column "acount"`},
		{`{` + base + `, "columns": {"date": 1, "operation_id": 2, "account": 3}}`, `"amount" is required`},
		{`{` + base + `, "colums": {}}`, `unknown field "colums"`},
		{`{"profiles": [{` + base + `, "columns": {"date": 1, "operation_id": 2, "account": 3}, "separator": ";;"}]}`, `separator must be one ASCII character`},
		{`{` + base + `, "columns": {"date": 1}, "encodings": ["koi8"]}`, `unknown encoding "koi8"`},
		{`{` + base + `, "date_layout": "DD.MM.YYYQ"}`, `layout "DD.MM.YYYQ": unexpected 'Y'`},
		{`{"profiles": []}`, `no profile defined`},
		{"{\n" + base + ",\n \"columns\": {\"date\": 1,,}}", `line 3`},
	}
	for _, tt := range tests {
		_, err := ParseProfiles(strings.NewReader(tt.conf))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseProfiles(%s) = %v, want error containing %q", tt.conf, err, tt.want)
		}
	}
}

func TestGuess(t *testing.T) {
	all := Builtin()
	samples := samplesDir(t)
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"sber 13", mustRead(t, filepath.Join(samples, "synthetic", "sber-zhku-registry.cp1251.txt")), "sber-zhku-13@1"},
		{"meters 17", mustRead(t, filepath.Join(samples, "synthetic", "registry-with-meters-17f.cp1251.txt")), "meters-17@1"},
		{"sber 12", cp1251(t, joinLines("\r\n", l1[:strings.LastIndexByte(l1, ';')], "=1;4512,37;4467,25;45,12;551234;16-03-2025")), "sber-zhku-12@1"},
		{"nothing fits", cp1251(t, "a;b;c\r\n"), ""},
		{"a statement", []byte("1CClientBankExchange\r\nВерсияФормата=1.03\r\n"), "statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Guess(tt.data, all)
			if tt.want == "statement" {
				if err == nil || !strings.Contains(err.Error(), "bank statement, not a registry") {
					t.Errorf("Guess = %v, %v", p, err)
				}
				return
			}
			if tt.want == "" {
				if err == nil || !strings.Contains(err.Error(), "sber-zhku-13@1: line 1: 3 fields") {
					t.Errorf("Guess = %v, %v; want an error naming each profile", p, err)
				}
				return
			}
			if err != nil || p.ID() != tt.want {
				t.Errorf("Guess = %v, %v; want %s", p, err, tt.want)
			}
		})
	}
}
