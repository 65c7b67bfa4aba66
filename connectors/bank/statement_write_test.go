package bank

import (
	"bytes"
	"testing"
	"time"
)

// TestWriteStatementReadsBack: what WriteStatement writes, ParseStatement
// reads as cp1251 with the same documents and no warnings.
func TestWriteStatementReadsBack(t *testing.T) {
	d := time.Date(2025, 3, 16, 0, 0, 0, 0, time.UTC)
	in := &Statement{Sender: "ПАО ТЕСТБАНК", Created: d, From: d, To: d, Accounts: []string{"40702810600000012345"},
		Balances: []AccountBalance{{Account: "40702810600000012345", From: d, To: d, Opening: 100, Incoming: 836300, Closing: 836400}},
		Documents: []Document{{Kind: "Платежное поручение", Number: "551234", Date: d, Amount: 836300, PayerName: "ПАО СБЕРБАНК",
			PayeeAccount: "40702810600000012345", Received: d, Purpose: "Перечисление по реестру EPS, п/п 551234"}}}
	var buf bytes.Buffer
	if err := WriteStatement(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := ParseStatement(&buf, "st.txt")
	if err != nil {
		t.Fatal(err)
	}
	if out.Encoding != CP1251 || len(out.Warnings) != 0 || len(out.Documents) != 1 || len(out.Balances) != 1 {
		t.Fatalf("read back: %+v", out)
	}
	got := out.Documents[0]
	if got.Number != "551234" || got.Amount != 836300 || !got.Date.Equal(d) || got.Purpose != in.Documents[0].Purpose ||
		got.PayerName != "ПАО СБЕРБАНК" || !got.Incoming(out.Accounts) {
		t.Errorf("document = %+v", got)
	}
}
