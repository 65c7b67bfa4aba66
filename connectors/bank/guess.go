package bank

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// guessLines is how many payment lines Guess reads with each profile.
const guessLines = 20

// Guess picks the profile that reads the start of a file without a single
// line error. sample is the file's first bytes (a partial last line is
// ignored). It fails, naming what each profile found, when no profile or
// more than one fits.
func Guess(sample []byte, profiles []*Profile) (*Profile, error) {
	if bytes.HasPrefix(bytes.TrimPrefix(sample, utf8BOM), []byte(statementMagic)) {
		return nil, errors.New("this is a 1CClientBankExchange bank statement, not a registry: import it as a statement")
	}
	if i := bytes.LastIndexByte(sample, '\n'); i >= 0 && len(sample) >= sampleSize {
		sample = sample[:i+1]
	}
	var fits []*Profile
	var why []string
	for _, p := range profiles {
		r, err := NewReader(bytes.NewReader(sample), "sample", p)
		if err != nil {
			why = append(why, p.ID()+": "+firstProblem(err))
			continue
		}
		good, badErr := 0, error(nil)
		for n := 0; n < guessLines; n++ {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			var le *LineError
			if errors.As(err, &le) {
				badErr = le
				break
			}
			if err != nil {
				break // file-level verdicts need the whole file
			}
			good++
		}
		switch {
		case badErr != nil:
			why = append(why, p.ID()+": "+firstProblem(badErr))
		case good == 0:
			why = append(why, p.ID()+": no payment lines")
		default:
			fits = append(fits, p)
		}
	}
	switch len(fits) {
	case 1:
		return fits[0], nil
	case 0:
		return nil, fmt.Errorf("no registry profile fits the file: %s", strings.Join(why, "; "))
	}
	ids := make([]string, len(fits))
	for i, p := range fits {
		ids[i] = p.ID()
	}
	return nil, fmt.Errorf("several registry profiles fit the file (%s): name one", strings.Join(ids, ", "))
}

func firstProblem(err error) string {
	var le *LineError
	if errors.As(err, &le) {
		return fmt.Sprintf("line %d: %s", le.Line, le.Reason())
	}
	var re *RejectedError
	if errors.As(err, &re) && len(re.Problems) > 0 {
		return re.Problems[0].String()
	}
	return err.Error()
}
