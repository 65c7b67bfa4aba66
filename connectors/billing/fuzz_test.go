package billing

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
)

// fuzzRead reads data to the end and checks the reader's invariants: no
// panic, a terminal error that is io.EOF or a *RejectedError, line errors
// that name a line, and a summary that counts what was yielded.
func fuzzRead(t *testing.T, data []byte) {
	r, err := Open(bytes.NewReader(data), "fuzz")
	if err != nil {
		var re *RejectedError
		if !errors.As(err, &re) || !r.Summary().Rejected() {
			t.Fatalf("open: %v", err)
		}
		return
	}
	good, bad := 0, 0
	for i := 0; ; i++ {
		l, err := r.Next()
		var le *LineError
		var re *RejectedError
		switch {
		case errors.Is(err, io.EOF):
			s := r.Summary()
			if s.Lines != good+bad || s.BadLines != bad || len(s.ContentSHA256) != 32 {
				t.Fatalf("summary %+v after %d good, %d bad lines", s, good, bad)
			}
			return
		case errors.As(err, &re):
			if !r.Summary().Rejected() {
				t.Fatal("rejected without a problem")
			}
			return
		case errors.As(err, &le):
			if le.Line <= 0 || len(le.Problems) == 0 {
				t.Fatalf("line error without line or problem: %+v", le)
			}
			bad++
		case err != nil:
			t.Fatalf("unexpected error: %v", err)
		default:
			if l.Line <= 0 || l.Account == "" || l.Service == "" || l.Volume.Units < 0 || l.Benefit < 0 ||
				l.Charged+l.Recalculation-l.Benefit != l.Total {
				t.Fatalf("accepted an invalid line: %+v", l)
			}
			good++
		}
		if i > len(data)+2 {
			t.Fatal("reader does not advance")
		}
	}
}

func FuzzCSV(f *testing.F) {
	ex, err := readFile("testdata/example.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ex)
	f.Add([]byte(head + "1;hw;10.00;2;20.00;;;;20.00;\n#total;lines=1;charged=20.00;total=20.00\n"))
	f.Add([]byte(head + "1;\"h;w\";10,5;2;21,00;-1;x;0;20.00;other\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 0 && data[0] == '{' {
			return // FuzzJSON's
		}
		fuzzRead(t, data)
	})
}

func FuzzJSON(f *testing.F) {
	ex, err := readFile("testdata/example.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bytes.TrimPrefix(bytes.TrimSpace(ex), []byte("{")))
	f.Add([]byte(`"lines": [{"account":"1","service":"a","tariff":1,"volume":1,"charged":1,"total":1}], "totals": {"lines": 1, "charged": "1.00", "total": "1.00"}}`))
	f.Add([]byte(`"inn": "5902987651", "period": "2026-10", "lines": [{"account": "1", "colour": null}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzRead(t, append([]byte("{"), data...))
	})
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
