package bank

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// lineSource produces a registry of n payment lines and its totals line on
// the fly, so a test can read a file far larger than it keeps in memory.
type lineSource struct {
	n, i    int
	sum     int64
	pending []byte
	enc     func(string) []byte
}

func (s *lineSource) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		switch {
		case s.i < s.n:
			kop := int64(10000 + s.i%90000)
			s.sum += kop
			s.pending = s.enc(fmt.Sprintf("15-03-2025;09-41-17;8609;860900123;%011d;%010d;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград, ул. Примерная, д. 1, кв. 12;0225;%s;%s;0,00;1\r\n",
				s.i+1, 1002000000+s.i%5000, FormatAmount(kop), FormatAmount(kop)))
		case s.i == s.n:
			s.pending = []byte(fmt.Sprintf("=%d;%s;%s;0,00;551234;16-03-2025\r\n", s.n, FormatAmount(s.sum), FormatAmount(s.sum)))
		default:
			return 0, io.EOF
		}
		s.i++
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	return n, nil
}

// TestHugeFileStreams reads a ~45 MB registry and checks that the heap
// stays small while it does: the reader never holds more than a line.
func TestHugeFileStreams(t *testing.T) {
	const lines = 300_000
	src := &lineSource{n: lines, enc: func(s string) []byte { return cp1251(t, s) }}
	r, err := NewReader(src, "huge.txt", profile(t, "sber-zhku-13"))
	if err != nil {
		t.Fatal(err)
	}
	var ms runtime.MemStats
	var peak uint64
	rows := 0
	for {
		_, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("row %d: %v", rows, err)
		}
		rows++
		if rows%50_000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if rows != lines {
		t.Fatalf("rows = %d, want %d", rows, lines)
	}
	if s := r.Summary(); s.Rejected() || s.Totals.Count != lines || s.Computed.Amount != src.sum {
		t.Fatalf("summary: %+v", s)
	}
	if peak > 16<<20 {
		t.Errorf("heap in use reached %d MB while streaming", peak>>20)
	}
}

// bigLine is a 2 GB line without a line break, then one payment line.
type bigLine struct {
	left int64
	tail []byte
	fill []byte
}

func (b *bigLine) Read(p []byte) (int, error) {
	if b.left > 0 {
		n := int64(len(p))
		if n > b.left {
			n = b.left
		}
		for i := int64(0); i < n; i += int64(len(b.fill)) {
			copy(p[i:n], b.fill)
		}
		b.left -= n
		return int(n), nil
	}
	if len(b.tail) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.tail)
	b.tail = b.tail[n:]
	return n, nil
}

// TestTwoGigabyteLine feeds a 2 GB file whose first line never ends: the
// reader reports that one line as too long, without buffering it, and
// goes on to the next.
func TestTwoGigabyteLine(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 GB")
	}
	fill := make([]byte, 64<<10)
	for i := range fill {
		fill[i] = 'A'
	}
	src := &bigLine{left: 2 << 30, fill: fill, tail: cp1251(t, "\r\n"+l1+"\r\n=1;4512,37;4467,25;45,12;551234;16-03-2025\r\n")}
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	r, err := NewReader(src, "big.txt", profile(t, "sber-zhku-13"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Next()
	var le *LineError
	if !errors.As(err, &le) || le.Line != 1 {
		t.Fatalf("first Next = %v, want a line error for line 1", err)
	}
	row, err := r.Next()
	if err != nil || row.Line != 2 || row.Amount != 451237 {
		t.Fatalf("second Next = %+v, %v", row, err)
	}
	if _, err := r.Next(); !errors.Is(err, io.EOF) && err != nil {
		var re *RejectedError
		if !errors.As(err, &re) {
			t.Fatalf("third Next = %v", err)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := int64(after.TotalAlloc) - int64(before.TotalAlloc); grown > 8<<20 {
		t.Errorf("allocated %d MB reading a 2 GB line", grown>>20)
	}
}
