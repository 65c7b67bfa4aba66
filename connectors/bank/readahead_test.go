package bank

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// item stands for a registry line.
type item struct{ Line int }

func TestReadAhead(t *testing.T) {
	mk := func(n int, fail error) func() (*item, error) {
		i := 0
		return func() (*item, error) {
			if i == n {
				return nil, fail
			}
			i++
			return &item{Line: i}, nil
		}
	}
	// All rows arrive in order, then the end.
	pull, stop := ReadAhead(mk(1500, nil))
	for want := 1; want <= 1500; want++ {
		r, err := pull()
		if err != nil || r == nil || r.Line != want {
			t.Fatalf("row %d: %+v, %v", want, r, err)
		}
	}
	if r, err := pull(); r != nil || err != nil {
		t.Fatalf("after the end: %+v, %v", r, err)
	}
	stop()
	stop() // twice is fine

	// An error after some rows comes after those rows.
	boom := errors.New("chunk read failed")
	pull, stop = ReadAhead(mk(10, boom))
	n := 0
	var err error
	for {
		var r *item
		if r, err = pull(); r == nil || err != nil {
			break
		}
		n++
	}
	stop()
	if n != 10 || !errors.Is(err, boom) {
		t.Fatalf("rows %d, err %v", n, err)
	}

	// Stopping early ends the producer even though it could go on forever.
	_, stop = ReadAhead(mk(1<<62, nil))
	stop()
}

func TestRawLines(t *testing.T) {
	text := strings.Join([]string{
		"15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград;0225;4512,37;4467,25;45,12;1",
		"not a line at all",
		"15-03-2025;11-05-02;8609;860900456;10284736777;1002003005;ПЕТРОВА АННА СЕРГЕЕВНА;г. Тестоград;0225;1200,00;1188,00;12,00;5",
		"=2;5712,37;5655,25;57,12;551234;16-03-2025",
	}, "\r\n") + "\r\n"
	tests := []struct {
		name  string
		lines []int
		want  []string
	}{
		{"good and bad lines", []int{2, 3}, []string{"2:not a line at all", "3:15-03-2025;11-05-02;8609;860900456;10284736777;1002003005;ПЕТРОВА АННА СЕРГЕЕВНА;г. Тестоград;0225;1200,00;1188,00;12,00;5"}},
		{"first only", []int{1}, []string{"1:15-03-2025;09-41-17;8609;860900123;10284736251;1002003004;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград;0225;4512,37;4467,25;45,12;1"}},
		{"a line past the rows", []int{9}, nil},
		{"none", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(text))
			if err != nil {
				t.Fatal(err)
			}
			r, err := NewReader(bytes.NewReader(b), "r.txt", profile(t, "sber-zhku-13"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := RawLines(r, tt.lines, func(line int, raw string) error {
				got = append(got, fmt.Sprintf("%d:%s", line, raw))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
