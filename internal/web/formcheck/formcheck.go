// Package formcheck checks the text of every query and form value at the web edge, once,
// before any handler reads it: valid UTF-8, no control characters, bounded length. PostgreSQL
// refuses NUL bytes and invalid UTF-8 in text (SQLSTATE 22021, 22P05); without this check such
// bytes typed into any field surfaced as internal errors. The console and the cabinet both wrap
// their handlers with Middleware.
package formcheck

import (
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"unicode"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Bounds of one request's text.
const (
	// MaxValue is the longest value of one field, in bytes.
	MaxValue = 2048
	// MaxName is the longest field name, in bytes.
	MaxName = 64
	// MaxFields is how many values one query or form may carry.
	MaxFields = 200
	// MaxFormBody bounds an application/x-www-form-urlencoded body.
	MaxFormBody = 1 << 20
)

// Text checks one value of the field name: valid UTF-8, no control characters (C0, DEL, C1;
// tabs and line breaks included, the forms have no multi-line fields), at most max bytes.
func Text(name, value string, max int) error {
	if len(value) > max {
		return apperr.Invalidf("form", "Поле «%s» слишком длинное (не больше %d байт).", printable(name), max)
	}
	if !utf8.ValidString(value) {
		return apperr.Invalidf("form", "Поле «%s» содержит недопустимые байты (текст должен быть в UTF-8).", printable(name))
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return apperr.Invalidf("form", "Поле «%s» содержит недопустимый управляющий символ (U+%04X).", printable(name), r)
		}
	}
	return nil
}

// MaxMultiLine is the longest value of a multi-line field, in bytes.
const MaxMultiLine = 16 << 10

// multiLine names the only multi-line fields (textareas): a request's text, staff's answer,
// a posted notice. They may carry tabs and line breaks and up to MaxMultiLine bytes.
var multiLine = map[string]bool{"request_body": true, "staff_answer": true, "notice_body": true}

// textMultiLine is Text for a multi-line field: tab, CR and LF allowed, MaxMultiLine bytes.
func textMultiLine(name, value string, _ int) error {
	for _, r := range value {
		if r != '\t' && r != '\r' && r != '\n' && unicode.IsControl(r) {
			return Text(name, string(r), MaxMultiLine)
		}
	}
	if len(value) > MaxMultiLine || !utf8.ValidString(value) {
		return Text(name, value, MaxMultiLine)
	}
	return nil
}

// Values checks every name and value of a query or form.
func Values(v url.Values) error {
	n := 0
	for name, vals := range v {
		if err := Text("имя поля", name, MaxName); err != nil {
			return err
		}
		for _, val := range vals {
			if n++; n > MaxFields {
				return apperr.Invalidf("form", "Слишком много полей в запросе (не больше %d).", MaxFields)
			}
			check := Text
			if multiLine[name] {
				check = textMultiLine
			}
			if err := check(name, val, MaxValue); err != nil {
				return err
			}
		}
	}
	return nil
}

// Request checks r's query and, for a url-encoded body, its form (which it parses, with the
// body bounded by MaxFormBody). Multipart bodies are left to the handler (CheckMultipart):
// parsing them costs disk and belongs after the login check.
func Request(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return apperr.Invalidf("form", "Адрес запроса искажён.")
	}
	if err := Values(q); err != nil {
		return err
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Body == nil {
		return nil
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxFormBody)
	if err := r.ParseForm(); err != nil {
		return apperr.Invalidf("form", "Форма искажена или слишком велика (не больше %d КБ).", MaxFormBody>>10)
	}
	return Values(r.PostForm)
}

// CheckMultipart checks the text fields and file names of a parsed multipart form.
func CheckMultipart(r *http.Request) error {
	if r.MultipartForm == nil {
		return nil
	}
	if err := Values(r.MultipartForm.Value); err != nil {
		return err
	}
	for name, files := range r.MultipartForm.File {
		for _, f := range files {
			if err := Text(name, f.Filename, 255); err != nil {
				return err
			}
		}
	}
	return nil
}

// Middleware checks every request with Request before next sees it; a bad one goes to bad
// (which answers 400 in the caller's own page style). skip, when set, exempts requests that
// check their raw input themselves.
func Middleware(next http.Handler, bad func(http.ResponseWriter, *http.Request, error), skip func(*http.Request) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if skip == nil || !skip(r) {
			if err := Request(w, r); err != nil {
				bad(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// printable makes a field name safe to show: the name itself may be what is wrong.
func printable(name string) string {
	if Text("", name, MaxName) != nil && name != "" {
		return fmt.Sprintf("%q", name)
	}
	return name
}
