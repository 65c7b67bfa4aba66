package bankpay

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"github.com/zhkhgate/zhkhgate/connectors/bank"
)

func TestLines(t *testing.T) {
	line := func(op, acct, amount, order string) string {
		return "15-03-2025;09-41-17;8609;860900123;" + op + ";" + acct + ";ИВАНОВ И.И.;г. Тестоград;0225;" + amount + ";" + amount + ";0,00;1" + order
	}
	tests := []struct {
		name      string
		profile   string
		rows      []string
		want      []string // "line problem|warning|account|amount" per line
		wantOrder string
	}{
		{"a good line and a broken one", "sber-zhku-13",
			[]string{line("1", "1002003004", "10,00", ""), "garbage", line("2", "1002003005", "-1,00", "")},
			[]string{"1||1002003004|1000", "2 profile sber-zhku-13@1 expects 13", "3 amount"}, ""},
		{"every line names the same payment order", "meters-17", []string{
			"1002003004;4512.37;15032500000000000000012345;551234;16.03.2025;101;345.120;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ",
			"1002003005;1200.00;15032500000000000000012346;551234;16.03.2025;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ"},
			[]string{"1||1002003004|451237", "2||1002003005|120000"}, "551234"},
		{"two payment orders name none", "meters-17", []string{
			"1002003004;4512.37;15032500000000000000012345;551234;16.03.2025;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ",
			"1002003005;1200.00;15032500000000000000012346;551300;16.03.2025;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ;НЕТ"},
			[]string{"1||1002003004|451237", "2||1002003005|120000"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(strings.Join(tt.rows, "\r\n") + "\r\n"))
			if err != nil {
				t.Fatal(err)
			}
			p, err := bank.NewSet(bank.Builtin()...).Get(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			r, err := bank.NewReader(bytes.NewReader(b), "r.txt", p)
			if err != nil {
				t.Fatal(err)
			}
			ls := NewLines(r, p, Rules{Today: day(2025, 3, 20)})
			for i := 0; ; i++ {
				l, err := ls.Next()
				if err != nil {
					t.Fatal(err)
				}
				if l == nil {
					if i != len(tt.want) {
						t.Errorf("%d lines, want %d", i, len(tt.want))
					}
					break
				}
				if i >= len(tt.want) {
					t.Fatalf("extra line %+v", l)
				}
				s := tt.want[i]
				if l.Problem == "" {
					if g := strings.Join([]string{strconv.Itoa(l.Line), l.Warning, l.AccountNumber, strconv.FormatInt(l.Amount, 10)}, "|"); g != s {
						t.Errorf("line %d = %q, want %q", i+1, g, s)
					}
					continue
				}
				num, sub, _ := strings.Cut(s, " ")
				if strconv.Itoa(l.Line) != num || !strings.Contains(l.Problem, sub) || l.Raw == "" {
					t.Errorf("line %d = %d %q (raw %q), want %q", i+1, l.Line, l.Problem, l.Raw, s)
				}
			}
			if n, _, ok := ls.Order(); n != tt.wantOrder || ok != (tt.wantOrder != "") {
				t.Errorf("order = %q %v, want %q", n, ok, tt.wantOrder)
			}
		})
	}
}
