package billing

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/model"
	"golang.org/x/text/encoding/charmap"
)

// readAll reads a whole file: its good lines, its line errors, and the
// terminal error (nil for a clean end).
func readAll(t testing.TB, data []byte) ([]Line, []*LineError, *Summary, error) {
	t.Helper()
	r, err := Open(bytes.NewReader(data), "f.csv")
	if err != nil {
		var re *RejectedError
		if !errors.As(err, &re) {
			t.Fatalf("open: %v", err)
		}
		return nil, nil, r.Summary(), err
	}
	var lines []Line
	var bad []*LineError
	for {
		l, err := r.Next()
		var le *LineError
		switch {
		case errors.Is(err, io.EOF):
			return lines, bad, r.Summary(), nil
		case errors.As(err, &le):
			bad = append(bad, le)
		case err != nil:
			return lines, bad, r.Summary(), err
		default:
			lines = append(lines, l)
		}
	}
}

func cp1251(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	require.NoError(t, err)
	return b
}

func example(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

func TestExamplesReadAlikeInEveryEncodingAndFormat(t *testing.T) {
	csv := example(t, "example.csv")
	lines, bad, sum, err := readAll(t, csv)
	require.NoError(t, err)
	require.Empty(t, bad)
	require.Len(t, lines, 4)
	require.Equal(t, "5902987651", sum.INN)
	require.Equal(t, "2026-10", sum.Period.Format("2006-01"))
	require.Equal(t, int64(420775), sum.Charged)
	require.Equal(t, int64(358775), sum.Total)
	require.Equal(t, "utf-8", sum.Encoding)
	h := lines[1]
	require.Equal(t, Line{Line: 6, Raw: h.Raw, Account: "0000100001", Service: "heating", Unit: "Гкал",
		Tariff: model.Decimal{Units: 25713500, Scale: 4}, Volume: model.Decimal{Units: 9542, Scale: 4}, Charged: 245358, Recalculation: -12000,
		RecalcReason: "перерасчёт за сентябрь: прибор учёта", Benefit: 50000, Total: 183358, Calc: CalcVolume}, h)
	require.Equal(t, CalcOther, lines[3].Calc)

	lines1251, bad, sum1251, err := readAll(t, cp1251(t, string(csv)))
	require.NoError(t, err)
	require.Empty(t, bad)
	require.Equal(t, "cp1251", sum1251.Encoding)
	require.Equal(t, lines[1].RecalcReason, lines1251[1].RecalcReason)
	require.Equal(t, sum.ContentSHA256, sum1251.ContentSHA256, "same content in cp1251 hashes alike")

	jl, bad, sj, err := readAll(t, example(t, "example.json"))
	require.NoError(t, err)
	require.Empty(t, bad)
	require.Len(t, jl, 4)
	require.Equal(t, "json", sj.Format)
	require.Equal(t, sum.ContentSHA256, sj.ContentSHA256, "the JSON example holds the same charges")

	// Another order of the same lines is the same content; another amount is not.
	ls := strings.Split(string(csv), "\n")
	ls[4], ls[5] = ls[5], ls[4]
	_, _, sw, err := readAll(t, []byte(strings.Join(ls, "\n")))
	require.NoError(t, err)
	require.Equal(t, sum.ContentSHA256, sw.ContentSHA256)
	_, _, sd, err := readAll(t, bytes.Replace(csv, []byte("60.00;;;;60.00;other"), []byte("61.00;;;;61.00;other"), 1))
	require.Error(t, err, "the totals line no longer matches")
	require.Nil(t, sd.ContentSHA256)
}

const head = "#inn=5902987651\n#period=2026-10\naccount;service;tariff;volume;charged;recalculation;recalc_reason;benefit;total;calc\n"

func TestLineErrorsNameLineAndColumn(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"negative volume", "1;hw;10.00;-1;0;;;;0;", `line 4: column volume "-1": negative value`},
		{"three decimals", "1;hw;10.00;1;10.001;;;;10.00;", `line 4: column charged "10.001": amount has 3 decimals (kopecks are 2)`},
		{"charged is not tariff times volume", "1;hw;10.00;2;25.00;;;;25.00;", `line 4: column charged "25.00": tariff 10.00 × volume 2 = 20.00, not the charged amount`},
		{"total does not add up", "1;hw;10.00;2;20.00;5.00;ошибка;1.00;20.00;", `line 4: column total "20.00": charged 20.00 + recalculation 5.00 − benefit 1.00 = 24.00`},
		{"recalculation without reason", "1;hw;10.00;2;20.00;5.00;;;25.00;", "line 4: column recalc_reason: a recalculation needs its reason"},
		{"tariff with five decimals", "1;hw;10.00001;2;20.00;;;;20.00;", `line 4: column tariff "10.00001": more than 4 decimals`},
		{"volume with seven decimals", "1;hw;10;0.0000001;0;;;;0;", `column volume "0.0000001": more than 6 decimals`},
		{"not a number", "1;hw;abc;2;20.00;;;;20.00;", `column tariff "abc": not a number`},
		{"negative benefit", "1;hw;10;2;20.00;;;-1.00;21.00;", `column benefit "-1.00": negative amount`},
		{"field count", "1;hw;10;2;20.00", "line 4: 5 fields, the header has 10"},
		{"unknown calc", "1;hw;10;2;20.00;;;;20.00;magic", `column calc "magic": unknown calculation method`},
		{"bad account", "1 2;hw;10;2;20.00;;;;20.00;", `column account "1 2": account number must be`},
		{"empty service", "1;;10;2;20.00;;;;20.00;", "column service: empty service code"},
		{"unterminated quote", `1;"hw;10;2;20.00;;;;20.00;`, "line 4: unterminated quote"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines, bad, sum, err := readAll(t, []byte(head+c.line+"\n1;ok;10;2;20.00;;;;20.00;\n"))
			require.NoError(t, err)
			require.Len(t, lines, 1, "the good line is still read")
			require.Len(t, bad, 1)
			require.Contains(t, bad[0].Error(), "f.csv:4: ")
			require.Contains(t, "line 4: "+bad[0].Reason(), c.want)
			require.Equal(t, 2, sum.Lines)
			require.Equal(t, 1, sum.BadLines)
		})
	}
}

func TestCalcOtherSkipsTheProductCheck(t *testing.T) {
	lines, bad, _, err := readAll(t, []byte(head+"1;hw;10.00;2;25.00;;;;25.00;other\n1;cw;10.00;2;20.01;;;;20.01;\n"))
	require.NoError(t, err)
	require.Empty(t, bad, "other is not checked; 1 kopeck is within tolerance")
	require.Len(t, lines, 2)
}

func TestFileRejections(t *testing.T) {
	utf16 := append([]byte{0xFF, 0xFE}, []byte("a\x00c\x00")...)
	cp866, err := charmap.CodePage866.NewEncoder().Bytes([]byte(head + "1;ХВС;10;2;20.00;;Перерасчёт по показаниям;;20.00;\n"))
	require.NoError(t, err)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", []byte("\n\n"), "the file is empty"},
		{"utf-16", utf16, "wrong encoding: the file is UTF-16"},
		{"binary", []byte("abc\x00def"), "binary content"},
		{"cp866", cp866, "wrong encoding: the file looks cp866"},
		{"no header", []byte("#inn=5902987651\n"), "no header line"},
		{"unknown column", []byte("account;service;price\n"), `column price: unknown column`},
		{"missing column", []byte("account;service;tariff;volume;charged\n1;a;1;1;1.00\n"), "column total: required column missing"},
		{"bad inn", []byte("#inn=12345\naccount;service;tariff;volume;charged;total\n"), `column inn: INN "12345"`},
		{"bad period", []byte("#period=2026-13\naccount;service;tariff;volume;charged;total\n"), `column period: period "2026-13"`},
		{"no lines", []byte(head), "the file has no charge lines"},
		{"totals lines", []byte(head + "1;hw;10;2;20.00;;;;20.00;\n#total;lines=2;charged=20.00;total=20.00\n"), "line 5: column lines: totals line declares 2 charge lines, the file has 1"},
		{"totals charged", []byte(head + "1;hw;10;2;20.00;;;;20.00;\n#total;lines=1;charged=21.00;total=20.00\n"), "column charged: totals line declares charged 21.00, the lines add up to 20.00"},
		{"totals total", []byte(head + "1;hw;10;2;20.00;;;;20.00;\n#total;lines=1;charged=20.00;total=19.00\n"), "column total: totals line declares total 19.00"},
		{"line after totals", []byte(head + "#total;lines=0;charged=0;total=0\n1;hw;10;2;20.00;;;;20.00;\n"), "line 5: a charge line after the totals line"},
		{"totals three decimals", []byte(head + "#total;lines=0;charged=0.001;total=0\n"), "totals line: amount has 3 decimals"},
		{"json not an object", []byte(`[1]`), "wrong encoding"}, // '[' is read as text: no header
		{"json truncated", []byte(`{"inn": "5902987651", "lines": [{"account": "1"`), "JSON ends early after lines[0]"},
		{"json unknown key", []byte(`{"inn": "5902987651", "org": 1}`), "column org: unknown key"},
		{"json no lines", []byte(`{"inn": "5902987651"}`), "column lines: the object has no lines array"},
		{"json trailing", []byte(`{"lines": [{"account":"1","service":"a","tariff":"1","volume":"1","charged":"1.00","total":"1.00"}]} x`), "text after the JSON object"},
		{"json cp1251", cp1251(t, `{"inn": "5902987651", "lines": [{"account": "1", "unit": "Гкал шт. куб. м"}]}`), "a JSON charge file must be UTF-8"},
		{"json totals", []byte(`{"lines": [{"account":"1","service":"a","tariff":"1","volume":"1","charged":"1.00","total":"1.00"}], "totals": {"lines": 1, "charged": "1.00", "total": "2.00"}}`), "totals line declares total 2.00, the lines add up to 1.00"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, sum, err := readAll(t, c.data)
			var re *RejectedError
			require.ErrorAs(t, err, &re)
			if c.name == "json not an object" {
				require.Contains(t, err.Error(), "unknown column")
				return
			}
			require.Contains(t, err.Error(), c.want)
			require.True(t, sum.Rejected())
		})
	}
}

func TestMixedEncodingLineIsALineError(t *testing.T) {
	// UTF-8 lines fill the sample the encoding is decided on; a cp1251
	// line after it is refused alone.
	good := strings.Repeat("1;hw;10;2;20.00;10.00;Перерасчёт по показаниям счётчика;;30.00;\n", 1000)
	data := append([]byte(head+good), cp1251(t, "2;hw;10;2;20.00;10.00;Перерасчёт по показаниям счётчика;;30.00;\n")...)
	lines, bad, sum, err := readAll(t, data)
	require.NoError(t, err)
	require.Len(t, lines, 1000)
	require.Len(t, bad, 1)
	require.Equal(t, 1004, bad[0].Line)
	require.Contains(t, bad[0].Reason(), "line is not valid UTF-8 (mixed encoding?)")
	require.Equal(t, "utf-8", sum.Encoding)
}

func TestJSONLineErrorsNameElementAndKey(t *testing.T) {
	data := `{"inn": "5902987651", "period": "2026-10", "lines": [
		{"account": "1", "service": "a", "tariff": "1", "volume": "-1", "charged": "0.00", "total": "0.00"},
		{"account": "1", "service": "a", "tariff": "1", "volume": "1", "charged": "1.000", "total": "1.00"},
		{"account": "1", "service": "a", "tariff": "1", "volume": "1", "total": "1.00"},
		{"account": "1", "service": "a", "tariff": true, "volume": "1", "charged": "1.00", "total": "1.00"},
		{"account": "1", "service": "a", "colour": "red"},
		{"account": "1", "service": "b", "tariff": 1, "volume": 1, "charged": 1, "total": 1}
	]}`
	lines, bad, sum, err := readAll(t, []byte(data))
	require.NoError(t, err)
	require.Len(t, lines, 1)
	require.Equal(t, 6, lines[0].Line)
	require.Equal(t, int64(100), lines[0].Charged)
	want := []string{
		`f.csv:1: column volume "-1": negative value`,
		`f.csv:2: column charged "1.000": amount has 3 decimals (kopecks are 2)`,
		`f.csv:3: column charged: required key missing or empty`,
		`f.csv:4: key tariff: want a string or a number`,
		`f.csv:5: not a charge line object: unknown field "colour"`,
	}
	require.Len(t, bad, len(want))
	for i, w := range want {
		require.Equal(t, w, bad[i].Error())
	}
	require.Equal(t, 6, sum.Lines)
}

func TestProductRounding(t *testing.T) {
	k, ok := productKopecks(model.Decimal{Units: 12345, Scale: 4}, model.Decimal{Units: 5, Scale: 1}) // 1.2345 × 0.5 = 0.61725 → 0.62
	require.True(t, ok)
	require.Equal(t, int64(62), k)
	_, ok = productKopecks(model.Decimal{Units: 999999999999, Scale: 0}, model.Decimal{Units: 999999999999, Scale: 0})
	require.False(t, ok)
}

// TestFormatDocShowsTheExamples keeps FORMAT.md's examples the files the
// tests read.
func TestFormatDocShowsTheExamples(t *testing.T) {
	doc := string(example(t, "../FORMAT.md"))
	require.Contains(t, doc, string(example(t, "example.json")))
	csv := strings.SplitAfter(string(example(t, "example.csv")), "\n")
	require.Contains(t, doc, strings.Join(csv[1:], ""))
}
