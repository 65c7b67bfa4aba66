package bank

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenRow is the stable, readable projection of a Row.
type goldenRow struct {
	Line        int             `json:"line"`
	Date        string          `json:"date"`
	OperationID string          `json:"operation_id"`
	Account     string          `json:"account"`
	Payer       string          `json:"payer,omitempty"`
	Address     string          `json:"address,omitempty"`
	Branch      string          `json:"branch,omitempty"`
	Cashier     string          `json:"cashier,omitempty"`
	Period      string          `json:"period,omitempty"`
	Amount      int64           `json:"amount"`
	Transfer    *int64          `json:"transfer,omitempty"`
	Commission  *int64          `json:"commission,omitempty"`
	Channel     string          `json:"channel,omitempty"`
	OrderNumber string          `json:"order_number,omitempty"`
	OrderDate   string          `json:"order_date,omitempty"`
	Services    []ServiceAmount `json:"services,omitempty"`
	Meters      []MeterReading  `json:"meters,omitempty"`
}

func project(r Row) goldenRow {
	g := goldenRow{
		Line: r.Line, Date: r.Date.Format("2006-01-02"), OperationID: r.OperationID, Account: r.Account,
		Payer: r.Payer, Address: r.Address, Branch: r.Branch, Cashier: r.Cashier, Amount: r.Amount,
		Channel: r.Channel, OrderNumber: r.OrderNumber, Services: r.Services, Meters: r.Meters,
	}
	if r.HasTime {
		g.Date = r.Date.Format(time.DateTime)
	}
	if !r.Period.IsZero() {
		g.Period = r.Period.Format("2006-01")
	}
	if !r.OrderDate.IsZero() {
		g.OrderDate = r.OrderDate.Format(time.DateOnly)
	}
	if r.HasTransfer {
		g.Transfer = &r.Transfer
	}
	if r.HasCommission {
		g.Commission = &r.Commission
	}
	return g
}

func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from golden file (run with -update after checking):\n%s", name, b)
	}
}

// TestGoldenProfiles reads one file per built-in profile and compares all
// rows, line errors and the summary with a golden file.
func TestGoldenProfiles(t *testing.T) {
	samples := samplesDir(t)
	sber := mustRead(t, filepath.Join(samples, "synthetic", "sber-zhku-registry.cp1251.txt"))
	// The 12-field variant: the same registry without the channel column.
	var b12 bytes.Buffer
	for _, l := range strings.SplitAfter(string(sber), "\r\n") {
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "=") {
			l = l[:strings.LastIndexByte(l, ';')] + "\r\n"
		}
		b12.WriteString(l)
	}
	tests := []struct {
		golden, profile string
		data            []byte
	}{
		{"sber-zhku-13.json", "sber-zhku-13", sber},
		{"sber-zhku-12.json", "sber-zhku-12", b12.Bytes()},
		{"meters-17.json", "meters-17", mustRead(t, filepath.Join(samples, "synthetic", "registry-with-meters-17f.cp1251.txt"))},
		{"sber-zhku-13-mixed.json", "sber-zhku-13", cp1251(t, joinLines("\r\n",
			"# реестр за 15.03.2025",
			"15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;\"ООО \"\"РОМАШКА\"\"; ФИЛИАЛ\";г. Тестоград, ул. Примерная, д. 1, кв. 12;0225;4512,37;4467,25;45,12;1",
			"",
			"15-03-2025;11-05-02;8609;860900456;10284736777;1002003005;ПЕТРОВА АННА СЕРГЕЕВНА;;0225;1200,00;1188,00;12,00;5;",
			"31-02-2025;18-22-45;8609;0;10284739001;1002003117;СИДОРОВ П.К.;г. Тестоград;1325;2735,10;2707,75;27,35;6",
			"=3;8447,47;8363,00;84,47;551234;16-03-2025"))},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			res := readAll(t, tt.data, profile(t, tt.profile))
			out := struct {
				Rows       []goldenRow `json:"rows"`
				LineErrors []string    `json:"line_errors,omitempty"`
				Summary    *Summary    `json:"summary"`
			}{Summary: res.summary}
			for _, r := range res.rows {
				out.Rows = append(out.Rows, project(r))
			}
			for _, e := range res.lineErrs {
				out.LineErrors = append(out.LineErrors, e.Error())
			}
			golden(t, tt.golden, out)
		})
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The sample lines of the Sberbank registry, used to build bad inputs.
const (
	l1 = "15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград, ул. Примерная, д. 1, кв. 12;0225;4512,37;4467,25;45,12;1"
	l2 = "15-03-2025;11-05-02;8609;860900456;10284736777;1002003005;ПЕТРОВА АННА СЕРГЕЕВНА;г. Тестоград, ул. Примерная, д. 1, кв. 13;0225;1200,00;1188,00;12,00;5"
	l3 = "15-03-2025;18-22-45;8609;0;10284739001;1002003117;СИДОРОВ П.К.;г. Тестоград, ул. Образцовая, д. 7, кв. 3;0125;2735,10;2707,75;27,35;6"
	tl = "=3;8447,47;8363,00;84,47;551234;16-03-2025"
)

// TestBadInputs covers every bad input the registry issue lists, each
// ending in a clear error naming the line and field, or a rejection.
func TestBadInputs(t *testing.T) {
	enc := func(s string) []byte { return cp1251(t, s) }
	crlf := func(lines ...string) []byte { return enc(joinLines("\r\n", lines...)) }
	sub := func(line, old, new string) string {
		if !strings.Contains(line, old) {
			t.Fatalf("%q not in %q", old, line)
		}
		return strings.Replace(line, old, new, 1)
	}
	type lineWant struct {
		line  int
		field string
		text  string
	}
	tests := []struct {
		name    string
		profile string
		data    []byte
		rows    int       // rows read without error
		lineErr *lineWant // the one line error expected, if any
		reject  string    // substring of the rejection, if rejected
		warn    string    // substring of a warning, if any
		check   func(t *testing.T, res result)
	}{
		{name: "clean file", data: crlf(l1, l2, l3, tl), rows: 3},
		{name: "utf-8 file for a cp1251 profile", data: []byte(joinLines("\r\n", l1, l2, l3, tl)),
			reject: "encoding mismatch: the file looks utf-8, profile sber-zhku-13@1 allows cp1251, cp866"},
		{name: "cp866 file", data: cp866(t, joinLines("\r\n", l1, l2, l3, tl)), rows: 3,
			check: func(t *testing.T, res result) {
				if res.summary.Encoding != CP866 || res.rows[0].Payer != "ИВАНОВ ИВАН ИВАНОВИЧ" {
					t.Errorf("encoding %s, payer %q", res.summary.Encoding, res.rows[0].Payer)
				}
			}},
		{name: "mixed encoding: a utf-8 line", data: append(append(enc(l1+"\r\n"), []byte(l2+"\r\n")...), enc(l3+"\r\n"+tl+"\r\n")...),
			rows: 2, lineErr: &lineWant{2, "", "line looks utf-8-encoded, the file is cp1251 (mixed encoding)"}, warn: "sums not checked"},
		{name: "mixed encoding: a cp866 line", data: append(append(enc(l1+"\r\n"), cp866(t, l2+"\r\n")...), enc(l3+"\r\n"+tl+"\r\n")...),
			rows: 2, lineErr: &lineWant{2, "", "line looks cp866-encoded, the file is cp1251"}},
		{name: "cp866 after 64 KiB of ASCII", data: append(bytes.Repeat([]byte("# ascii header line padding the sample\r\n"), 2000), cp866(t, joinLines("\r\n", l1, l2, l3, tl))...), rows: 3,
			check: func(t *testing.T, res result) {
				if res.summary.Encoding != CP866 || res.rows[0].Payer != "ИВАНОВ ИВАН ИВАНОВИЧ" {
					t.Errorf("encoding %s, payer %q", res.summary.Encoding, res.rows[0].Payer)
				}
			}},
		{name: "utf-8 after 64 KiB of ASCII", data: append(bytes.Repeat([]byte("# ascii header line padding the sample\r\n"), 2000), joinLines("\r\n", l1, l2, l3, tl)...), rows: 0,
			reject: "line 2001: encoding mismatch: the file looks utf-8 from this line on", check: func(t *testing.T, res result) {}},
		{name: "BOM", data: append([]byte{0xEF, 0xBB, 0xBF}, crlf(l1, l2, l3, tl)...),
			reject: "the file starts with a UTF-8 byte order mark"},
		{name: "BOM with a UTF-8 profile", profile: "utf8-13", data: append([]byte{0xEF, 0xBB, 0xBF}, joinLines("\n", l1, l2, l3, tl)...),
			rows: 3, warn: "byte order mark skipped"},
		{name: "CRLF and LF mixed", data: enc(l1 + "\r\n" + l2 + "\n" + l3 + "\r\n" + tl + "\n"), rows: 3,
			warn: "mixed line endings: 2 CRLF, 2 LF"},
		{name: "no final line break", data: enc(l1 + "\r\n" + l2 + "\r\n" + l3 + "\r\n" + tl), rows: 3},
		{name: "empty lines", data: crlf("", l1, "", "   ", l2, l3, tl, "", ""), rows: 3,
			check: func(t *testing.T, res result) {
				if res.summary.EmptyLines != 5 {
					t.Errorf("empty lines = %d", res.summary.EmptyLines)
				}
			}},
		{name: "missing totals line", data: crlf(l1, l2, l3), rows: 3,
			reject: "line 3: no totals line (a line starting with \"=\"): the file is truncated or incomplete"},
		{name: "truncated: totals count", data: crlf(l1, l2, tl), rows: 2,
			reject: "line 3: field totals count: declares 3 payment lines, the file has 2"},
		{name: "truncated mid-line", data: enc(l1 + "\r\n" + l2 + "\r\n" + l3[:40]), rows: 2,
			lineErr: &lineWant{3, "", "6 fields, profile sber-zhku-13@1 expects 13"}, reject: "no totals line"},
		{name: "duplicated totals line", data: crlf(l1, l2, l3, tl, tl), rows: 3,
			reject: "line 5: second totals line (the first is line 4)"},
		{name: "payment after totals", data: crlf(l1, l2, tl, l3), rows: 3,
			reject: "line 4: payment line after the totals line (line 3)"},
		{name: "totals sum mismatch", data: crlf(l1, l2, l3, sub(tl, "8447,47", "8447,48")), rows: 3,
			reject: "field totals amount: declares 8447,48, the lines sum to 8447,47"},
		{name: "totals transfer mismatch", data: crlf(l1, l2, l3, sub(tl, "8363,00", "8363,01")), rows: 3,
			reject: "field totals transfer: declares 8363,01, the lines sum to 8363,00"},
		{name: "totals unreadable", data: crlf(l1, l2, l3, sub(tl, "8447,47", "8447,4x")), rows: 3,
			reject: "field totals amount: \"8447,4x\": amount is not a number"},
		{name: "extra field", data: crlf(l1, l2+";7", l3, tl), rows: 2,
			lineErr: &lineWant{2, "", "14 fields, profile sber-zhku-13@1 expects 13"}},
		{name: "missing field", data: crlf(l1, l2[:strings.LastIndexByte(l2, ';')], l3, tl), rows: 2,
			lineErr: &lineWant{2, "", "12 fields, profile sber-zhku-13@1 expects 13"}},
		{name: "trailing separator tolerated", data: crlf(l1+";", l2, l3, tl), rows: 3},
		{name: "separator inside a quoted name", data: crlf(sub(l1, "ИВАНОВ ИВАН ИВАНОВИЧ", `"ООО ""РОМАШКА""; ФИЛИАЛ"`), l2, l3, tl), rows: 3,
			check: func(t *testing.T, res result) {
				if got := res.rows[0].Payer; got != `ООО "РОМАШКА"; ФИЛИАЛ` {
					t.Errorf("payer = %q", got)
				}
			}},
		{name: "separator inside a quoted name, profile without quoting", profile: "noquote-13",
			data: crlf(sub(l1, "ИВАНОВ ИВАН ИВАНОВИЧ", `"ООО РОМАШКА; ФИЛИАЛ"`), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "", "14 fields, profile noquote-13@1 expects 13 (a separator inside a quoted value?"}},
		{name: "unterminated quote", data: crlf(sub(l1, "ИВАНОВ ИВАН ИВАНОВИЧ", `"ООО РОМАШКА`), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "payer", "a quoted field has no closing quote"}},
		{name: "amount with spaces", data: crlf(sub(l1, ";4512,37;", ";4 512,37;"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "amount", "amount contains a space"}, warn: "sums not checked: 1 lines have unreadable amounts"},
		{name: "amount with three decimals", data: crlf(sub(l1, ";4512,37;", ";4512,370;"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "amount", "more than two decimals"}},
		{name: "negative amount", data: crlf(sub(l1, ";4512,37;", ";-4512,37;"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "amount", "negative amount"}},
		{name: "negative commission", data: crlf(sub(l1, ";45,12;", ";-45,12;"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "commission", "negative amount"}},
		{name: "date 31-02-2025", data: crlf(sub(l1, "15-03-2025", "31-02-2025"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "date", "day out of range (want DD-MM-YYYY)"}},
		{name: "date with dots", data: crlf(sub(l1, "15-03-2025", "15.03.2025"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "date", "want DD-MM-YYYY"}},
		{name: "time 25-00-00", data: crlf(sub(l1, "09-41-17", "25-00-00"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "time", "hour out of range"}},
		{name: "period 1325", data: crlf(sub(l1, ";0225;", ";1325;"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "period", "month out of range (want MMYY)"}},
		{name: "empty operation id", data: crlf(sub(l1, "10284736251", ""), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "operation_id", "operation id is empty"}},
		{name: "empty account", data: crlf(sub(l1, "1002003004", ""), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "account", "account is empty"}},
		{name: "control bytes in a line", data: crlf(sub(l1, "ИВАНОВ", "ИВ\x01\x02НОВ"), l2, l3, tl), rows: 2,
			lineErr: &lineWant{1, "", "binary data: control byte 0x01 at column"}},
		{name: "UTF-16", data: []byte("\xff\xfe1\x005\x00-\x00"), reject: "the file is UTF-16"},
		{name: "binary garbage", data: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"),
			reject: "binary content: NUL byte at offset 8"},
		{name: "empty file", data: nil, reject: "the file is empty"},
		{name: "only line breaks", data: []byte("\r\n\r\n"), reject: "no payment lines"},
		{name: "over-long line", data: crlf(l1, l2+strings.Repeat("x", 70_000), l3, tl), rows: 2,
			lineErr: &lineWant{2, "", "line longer than 65536 bytes"}},
		{name: "12-field file read as 13", data: crlf(l1[:strings.LastIndexByte(l1, ';')]), rows: 0,
			lineErr: &lineWant{1, "", "12 fields, profile sber-zhku-13@1 expects 13"}, reject: "no totals line"},
	}
	extra := map[string]*Profile{}
	{
		ps, err := ParseProfiles(strings.NewReader(`{"profiles": [
			{"name": "utf8-13", "version": 1, "bank": "test", "separator": ";", "quote": "\"", "encodings": ["utf-8"],
			 "fields": 13, "columns": {"date": 1, "time": 2, "operation_id": 5, "account": 6, "payer": 7, "period": 9, "amount": 10, "transfer": 11, "commission": 12},
			 "date_layout": "DD-MM-YYYY", "time_layout": "hh-mm-ss", "period_layout": "MMYY",
			 "totals": {"prefix": "=", "required": true, "columns": {"count": 1, "amount": 2, "transfer": 3, "commission": 4}}},
			{"name": "noquote-13", "version": 1, "bank": "test", "separator": ";", "encodings": ["cp1251"],
			 "fields": 13, "columns": {"date": 1, "operation_id": 5, "account": 6, "payer": 7, "amount": 10},
			 "date_layout": "DD-MM-YYYY",
			 "totals": {"prefix": "=", "required": true, "columns": {"count": 1, "amount": 2}}}
		]}`))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			extra[p.Name] = p
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := extra[tt.profile]
			if p == nil {
				p = profile(t, "sber-zhku-13")
			}
			res := readAll(t, tt.data, p)
			if len(res.rows) != tt.rows {
				t.Errorf("rows = %d, want %d", len(res.rows), tt.rows)
			}
			switch {
			case tt.lineErr == nil && len(res.lineErrs) > 0:
				t.Errorf("unexpected line errors: %v", res.lineErrs)
			case tt.lineErr != nil:
				if len(res.lineErrs) != 1 {
					t.Fatalf("line errors = %v, want exactly one", res.lineErrs)
				}
				le := res.lineErrs[0]
				if le.File != "test.txt" || le.Line != tt.lineErr.line || le.Problems[0].Field != tt.lineErr.field ||
					!strings.Contains(le.Error(), tt.lineErr.text) {
					t.Errorf("line error = %q (line %d, field %q); want line %d, field %q, containing %q",
						le.Error(), le.Line, le.Problems[0].Field, tt.lineErr.line, tt.lineErr.field, tt.lineErr.text)
				}
				if le.Raw == "" {
					t.Errorf("line error keeps no raw text")
				}
			}
			gotReject := ""
			if res.err != nil {
				gotReject = res.err.Error()
			}
			if (tt.reject == "") != (gotReject == "") || !strings.Contains(gotReject, tt.reject) {
				t.Errorf("rejection = %q, want %q", gotReject, tt.reject)
			}
			if tt.reject != "" && !strings.HasPrefix(gotReject, "test.txt: rejected: ") {
				t.Errorf("rejection does not name the file: %q", gotReject)
			}
			if (tt.reject != "") != res.summary.Rejected() {
				t.Errorf("summary.Rejected() = %v", res.summary.Rejected())
			}
			if tt.warn != "" && !strings.Contains(fmt.Sprint(res.summary.Warnings), tt.warn) {
				t.Errorf("warnings = %v, want one containing %q", res.summary.Warnings, tt.warn)
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}
