package store

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSearchWords: whatever is typed, the words passed to SQL are at most eight non-empty
// lower-case words of digits, Latin or Cyrillic letters and "/" — never a LIKE wildcard or a
// regular-expression character.
func FuzzSearchWords(f *testing.F) {
	for _, s := range []string{"", "Ленина 12", "ул. Щёрса, д. 5/2", "%_\\", "г. Пермь, пр-т Ленинский, д. 1, корп. 2", "a b c d e f g h i j",
		"(^|[^0-9])", "\xff\xfe", "ЁЛКИ 7"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words := searchWords(s)
		if len(words) > 8 {
			t.Fatalf("%d words", len(words))
		}
		for _, w := range words {
			if w == "" || !utf8.ValidString(w) || w != strings.ToLower(w) {
				t.Fatalf("word %q of %q", w, s)
			}
			for _, r := range w {
				if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'а' && r <= 'я' || r == '/') {
					t.Fatalf("word %q of %q has %q", w, s, r)
				}
			}
		}
	})
}
