package bank

import (
	"bytes"
	"testing"
	"time"
)

// TestGenerateSberReadsBack checks the generator writes what the reader
// accepts, totals and all.
func TestGenerateSberReadsBack(t *testing.T) {
	var buf bytes.Buffer
	tot, err := GenerateSber(&buf, GenerateOptions{Lines: 500, Accounts: []string{"1002003004", "0000100001"},
		Date: time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC), Seed: 1, FirstOperation: 9000})
	if err != nil {
		t.Fatal(err)
	}
	res := readAll(t, buf.Bytes(), profile(t, "sber-zhku-13"))
	if res.err != nil || len(res.lineErrs) > 0 || len(res.rows) != 500 {
		t.Fatalf("read back: %v, %v, %d rows", res.err, res.lineErrs, len(res.rows))
	}
	s := res.summary
	if s.Totals.Amount != tot.Amount || s.Computed.Transfer != tot.Transfer || s.Encoding != CP1251 || s.CRLF != 501 {
		t.Errorf("summary %+v, totals %+v", s, tot)
	}
	if res.rows[0].OperationID != "9000" || res.rows[499].OperationID != "9499" {
		t.Errorf("operation ids %s..%s", res.rows[0].OperationID, res.rows[499].OperationID)
	}
}
