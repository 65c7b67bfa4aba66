package bank

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/modroot"
	"golang.org/x/text/encoding/charmap"
)

// samplesDir is ../shared/spec/samples beside the repository.
func samplesDir(t testing.TB) string {
	t.Helper()
	dir, err := modroot.Shared("spec", "samples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func profile(t testing.TB, name string) *Profile {
	t.Helper()
	p, err := NewSet(Builtin()...).Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func cp1251(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode cp1251: %v", err)
	}
	return b
}

func cp866(t testing.TB, s string) []byte {
	t.Helper()
	b, err := charmap.CodePage866.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode cp866: %v", err)
	}
	return b
}

// result is everything a reader produced for one file.
type result struct {
	rows     []Row
	lineErrs []*LineError
	summary  *Summary
	err      error // the final error: nil for io.EOF, else the rejection
}

func readAll(t testing.TB, data []byte, p *Profile) result {
	t.Helper()
	r, err := NewReader(strings.NewReader(string(data)), "test.txt", p)
	if err != nil {
		var re *RejectedError
		if !errors.As(err, &re) {
			t.Fatalf("NewReader: %v", err)
		}
		return result{summary: r.Summary(), err: err}
	}
	var res result
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			res.lineErrs = append(res.lineErrs, le)
			continue
		}
		if err != nil {
			res.err = err
			break
		}
		res.rows = append(res.rows, row)
	}
	res.summary = r.Summary()
	return res
}

func joinLines(eol string, lines ...string) string {
	return strings.Join(lines, eol) + eol
}
