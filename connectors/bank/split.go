package bank

import "errors"

// splitFields splits a decoded line on sep. With quote != 0 a field that
// starts with the quote runs to the matching closing quote, so it may hold
// the separator; a doubled quote inside stands for one quote.
func splitFields(line string, sep, quote byte, dst []string) ([]string, error) {
	dst = dst[:0]
	i := 0
	for {
		if quote != 0 && i < len(line) && line[i] == quote {
			var b []byte
			j := i + 1
			closed := false
			for j < len(line) {
				c := line[j]
				if c == quote {
					if j+1 < len(line) && line[j+1] == quote {
						b = append(b, quote)
						j += 2
						continue
					}
					closed = true
					j++
					break
				}
				b = append(b, c)
				j++
			}
			if !closed {
				return dst, errUnterminatedQuote
			}
			if j < len(line) && line[j] != sep {
				return dst, errQuoteNotAtEnd
			}
			dst = append(dst, string(b))
			if j >= len(line) {
				return dst, nil
			}
			i = j + 1
			continue
		}
		k := i
		for k < len(line) && line[k] != sep {
			k++
		}
		dst = append(dst, line[i:k])
		if k >= len(line) {
			return dst, nil
		}
		i = k + 1
	}
}

var (
	errUnterminatedQuote = errors.New("a quoted field has no closing quote")
	errQuoteNotAtEnd     = errors.New("text after the closing quote of a field")
)
