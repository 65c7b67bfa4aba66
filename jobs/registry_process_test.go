package jobs

import (
	"errors"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

func TestReadAhead(t *testing.T) {
	mk := func(n int, fail error) func() (*store.StagedRow, error) {
		i := 0
		return func() (*store.StagedRow, error) {
			if i == n {
				return nil, fail
			}
			i++
			return &store.StagedRow{Line: i}, nil
		}
	}
	// All rows arrive in order, then the end.
	pull, stop := readAhead(mk(1500, nil))
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
	pull, stop = readAhead(mk(10, boom))
	n := 0
	var err error
	for {
		var r *store.StagedRow
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
	_, stop = readAhead(mk(1<<62, nil))
	stop()
}
