package bank

import (
	"errors"
	"fmt"
	"io"
)

// RawLines reads r to find the text of the given line numbers (ascending),
// calling yield for each found, in order. The registry path stages most
// lines without their text to stay lean; the few judged later (unknown
// accounts, duplicates) get it back this way, walking file and list
// together.
func RawLines(r *Reader, lines []int, yield func(line int, raw string) error) error {
	next := 0
	for next < len(lines) {
		row, err := r.Next()
		line, raw := row.Line, row.Raw
		var le *LineError
		var re *RejectedError
		switch {
		case errors.As(err, &le):
			line, raw = le.Line, le.Raw
		case errors.Is(err, io.EOF), errors.As(err, &re):
			return nil
		case err != nil:
			return fmt.Errorf("read %s again for line text: %w", r.Summary().File, err)
		}
		for next < len(lines) && lines[next] < line {
			next++
		}
		if next < len(lines) && lines[next] == line {
			if err := yield(line, raw); err != nil {
				return err
			}
			next++
		}
	}
	return nil
}
