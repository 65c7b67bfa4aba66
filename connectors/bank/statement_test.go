package bank

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseStatementSample(t *testing.T) {
	utf := mustRead(t, filepath.Join(samplesDir(t), "1c-client-bank-exchange", "condo-1CClientBankExchange.utf8.txt"))
	for _, tt := range []struct {
		name     string
		data     []byte
		enc      Encoding
		warnings int
	}{
		// The sample says Кодировка=Windows but is stored as UTF-8.
		{"utf-8 as stored", utf, UTF8, 1},
		{"cp1251 as a client-bank writes it", cp1251(t, strings.ReplaceAll(string(utf), "\n", "\r\n")), CP1251, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st, err := ParseStatement(strings.NewReader(string(tt.data)), "st.txt")
			if err != nil {
				t.Fatal(err)
			}
			if st.Encoding != tt.enc || len(st.Warnings) != tt.warnings {
				t.Errorf("encoding %s, warnings %v", st.Encoding, st.Warnings)
			}
			if st.Version != "1.03" || len(st.Accounts) != 1 || st.Accounts[0] != "40702810801500116391" {
				t.Errorf("header: %+v", st)
			}
			if len(st.Balances) != 1 || st.Balances[0].Opening != 830000 || st.Balances[0].Closing != 13539423 {
				t.Errorf("balances: %+v", st.Balances)
			}
			if len(st.Documents) != 4 {
				t.Fatalf("documents = %d", len(st.Documents))
			}
			d := st.Documents[1]
			if d.Number != "6032" || d.Amount != 105298 || d.Date.Format("02.01.2006") != "15.04.2022" ||
				d.PayeeAccount != "40702810801500116391" || d.Purpose != "ЛС: 50133547364" || !d.Incoming(st.Accounts) {
				t.Errorf("document 2: %+v", d)
			}
			if st.Documents[0].Incoming(st.Accounts) {
				t.Errorf("document 1 is outgoing")
			}
		})
	}
}

func TestParseStatementErrors(t *testing.T) {
	doc := "СекцияДокумент=Платежное поручение\nНомер=12\nДата=16.03.2025\nСумма=8363.00\nПолучательСчет=40702810600000012345\nКонецДокумента\n"
	head := "1CClientBankExchange\nВерсияФормата=1.02\nКодировка=Windows\nРасчСчет=40702810600000012345\n"
	tests := []struct{ name, in, want string }{
		{"not a statement", "hello\n", `line 1: not a 1CClientBankExchange file: first line is "hello"`},
		{"empty", "", "the file is empty"},
		{"truncated", head + doc, "no КонецФайла: the statement is truncated"},
		{"document not closed", head + strings.TrimSuffix(doc, "КонецДокумента\n") + "КонецФайла\n", "line 5: document has no КонецДокумента"},
		{"bad date", head + strings.Replace(doc, "16.03.2025", "31.02.2025", 1) + "КонецФайла\n", `line 7: field Дата: "31.02.2025": day out of range`},
		{"bad amount", head + strings.Replace(doc, "8363.00", "8 363,000", 1) + "КонецФайла\n", `line 8: field Сумма: "8 363,000": amount contains a space`},
		{"no amount", head + strings.Replace(doc, "Сумма=8363.00\n", "", 1) + "КонецФайла\n", `line 5: field Сумма: document has no amount`},
		{"negative amount", head + strings.Replace(doc, "8363.00", "-1.00", 1) + "КонецФайла\n", "negative document amount"},
		{"garbage line", head + "что-то\n" + doc + "КонецФайла\n", `line 5: expected Key=Value`},
		{"after end", head + doc + "КонецФайла\n" + doc, "content after КонецФайла"},
		{"binary", "1CClientBankExchange\n\x00\x01", "binary content"},
		{"no version", "1CClientBankExchange\n" + doc + "КонецФайла\n", "field ВерсияФормата: missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseStatement(strings.NewReader(tt.in), "st.txt")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseStatement = %v, want error containing %q", err, tt.want)
			}
		})
	}
	bal := "СекцияРасчСчет\nНачальныйОстаток=100.00\nВсегоПоступило=50.00\nВсегоСписано=20.00\nКонечныйОстаток=140.00\nКонецРасчСчет\n"
	if st, err := ParseStatement(strings.NewReader(head+bal+"КонецФайла\n"), "st.txt"); err != nil ||
		!strings.Contains(fmt.Sprint(st.Warnings), "line 5: field КонечныйОстаток: opening 100,00 + incoming 50,00 − outgoing 20,00 ≠ closing 140,00") {
		t.Errorf("unbalanced balance: %+v, %v", st, err)
	}
	st, err := ParseStatement(strings.NewReader(head+doc+"КонецФайла\n"), "st.txt")
	if err != nil || st.Version != "1.02" || st.Documents[0].Amount != 836300 {
		t.Errorf("1.02 statement: %+v, %v", st, err)
	}
}

// TestStatementAccountsFromSections: an account named only in a
// СекцияРасчСчет (the header lists the first of two) is one of the
// statement's accounts, so money arriving on it is incoming.
func TestStatementAccountsFromSections(t *testing.T) {
	st, err := ParseStatement(strings.NewReader(string(mustRead(t, filepath.Join("testdata", "two-accounts.1c-cp1251.txt")))), "two-accounts.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(st.Accounts, " "); got != "40703810938000012345 40705810538000067890" {
		t.Errorf("accounts = %s", got)
	}
	var incoming []string
	for _, d := range st.Documents {
		if d.Incoming(st.Accounts) {
			incoming = append(incoming, d.Number)
		}
	}
	if got := strings.Join(incoming, " "); got != "551234 77" {
		t.Errorf("incoming = %s, want 551234 77", got)
	}
}
