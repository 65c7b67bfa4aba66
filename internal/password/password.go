// Package password is the password policy of staff and residents: long enough, not among the
// most common passwords (common.txt, embedded, with its source and license), not a trivial
// pattern (one repeated character or short unit, a run of the alphabet, digits or a keyboard
// row), and not the user's own login or e-mail. Messages are Russian: residents read them, and
// staff see them in `zhkhgate admin`.
package password

import (
	_ "embed"
	"strings"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Bounds of a password.
const (
	// MinRunes is the shortest password accepted, in characters.
	MinRunes = 8
	// MaxBytes is the longest: bcrypt reads 72 bytes.
	MaxBytes = 72
)

//go:embed common.txt
var commonText string

var common = func() map[string]bool {
	m := map[string]bool{}
	for line := range strings.Lines(commonText) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
}()

// runs are the sequences a password may not be a piece of (either direction).
var runs = []string{
	"abcdefghijklmnopqrstuvwxyz", "абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "01234567890",
	"qwertyuiop", "asdfghjkl", "zxcvbnm", "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p", "qazwsxedcrfvtgbyhnujmikolp", "1q2w3e4r5t6y7u8i9o0p",
}

// Check tells why password is not acceptable for the user known by ids (login, e-mail), or nil.
func Check(password string, ids ...string) error {
	switch {
	case utf8.RuneCountInString(password) < MinRunes:
		return apperr.Invalidf("password", "Пароль должен быть не короче %d символов.", MinRunes)
	case len(password) > MaxBytes:
		return apperr.Invalidf("password", "Пароль слишком длинный (не более %d байт).", MaxBytes)
	}
	lower := strings.ToLower(password)
	if common[lower] {
		return apperr.Invalidf("password", "Этот пароль среди самых распространённых — его подбирают первым. Придумайте другой.")
	}
	if trivial(lower) {
		return apperr.Invalidf("password", "Пароль слишком простой: повтор символов или последовательность (например 12345678, abcdefgh, qwertyui). Придумайте другой.")
	}
	for _, id := range ids {
		id = strings.ToLower(strings.TrimSpace(id))
		local, _, _ := strings.Cut(id, "@")
		for _, part := range []string{id, local} {
			if utf8.RuneCountInString(part) >= 3 && strings.Contains(lower, part) {
				return apperr.Invalidf("password", "Пароль не должен содержать логин или адрес электронной почты.")
			}
		}
	}
	return nil
}

// trivial: a short unit repeated (aaaaaaaa, 12121212, abcabcab), fewer than four different
// characters, or a piece of a run of letters, digits or keys, forwards or backwards.
func trivial(s string) bool {
	r := []rune(s)
	distinct := map[rune]bool{}
	for _, c := range r {
		distinct[c] = true
	}
	if len(distinct) < 4 {
		return true
	}
	for unit := 1; unit <= 3; unit++ {
		repeated := true
		for i := unit; i < len(r); i++ {
			if r[i] != r[i-unit] {
				repeated = false
				break
			}
		}
		if repeated {
			return true
		}
	}
	rev := reverse(s)
	for _, run := range runs {
		if strings.Contains(run, s) || strings.Contains(run, rev) || strings.Contains(run+run, s) {
			return true
		}
	}
	// Constant steps of one: 23456789, 98765432, and runs in any script.
	for _, step := range []rune{1, -1} {
		seq := true
		for i := 1; i < len(r); i++ {
			if r[i]-r[i-1] != step {
				seq = false
				break
			}
		}
		if seq {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
