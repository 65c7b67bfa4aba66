package formcheck

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

func TestText(t *testing.T) {
	for _, c := range []struct {
		in string
		ok bool
	}{
		{"", true}, {"кв. 12А", true}, {"O'Brien & Co", true}, {"😀", true},
		{"a\x00b", false}, {"\xff", false}, {"a\r\nb", false}, {"\t", false}, {"\x7f", false}, {"\u0085", false},
		{strings.Repeat("я", MaxValue/2), true}, {strings.Repeat("я", MaxValue/2) + "x", false},
	} {
		err := Text("flat", c.in, MaxValue)
		if (err == nil) != c.ok {
			t.Errorf("Text(%q) = %v, want ok %v", c.in, err, c.ok)
		}
		if err != nil && (!apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.UserMessage(err), "«flat»")) {
			t.Errorf("Text(%q): %v, want Invalid naming the field", c.in, err)
		}
	}
}

func TestRequest(t *testing.T) {
	for _, c := range []struct {
		method, target, body string
		ok                   bool
	}{
		{"GET", "/admin/gis?state=stopped&period=2026-10", "", true},
		{"GET", "/admin/gis?state=%00", "", false},
		{"GET", "/admin/mail?to=%FF", "", false},
		{"GET", "/?x=%zz", "", false},
		{"POST", "/readings", "flat=12&number=1", true},
		{"POST", "/readings", "flat=1%002", false},
		{"POST", "/readings", "flat=%C3%28", false},
		{"POST", "/readings", "flat=a%0D%0Ab", false},
		{"POST", "/readings", "flat=" + strings.Repeat("1", 100<<10), false},
		{"POST", "/readings", "fl%00at=1", false},
	} {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		if c.method == "POST" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		err := Request(httptest.NewRecorder(), r)
		if (err == nil) != c.ok {
			t.Errorf("%s %s %.40q: %v, want ok %v", c.method, c.target, c.body, err, c.ok)
		}
	}
	// A multipart body is left alone (checked after login by CheckMultipart).
	r := httptest.NewRequest("POST", "/admin/registries/upload", strings.NewReader("--x\r\n"))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	if err := Request(httptest.NewRecorder(), r); err != nil {
		t.Errorf("multipart: %v", err)
	}
	var _ http.Handler = Middleware(http.NotFoundHandler(), nil, nil)
}

// FuzzValues: whatever a query string holds, the check never panics, and what it accepts is
// valid UTF-8 without control characters, within the bounds.
func FuzzValues(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "flat=1%002", "x=%FF", "t=%0D%0A", "q=кв", "=&&=", "a=%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		if Values(v) != nil {
			return
		}
		n := 0
		for name, vals := range v {
			if !utf8.ValidString(name) || len(name) > MaxName || strings.ContainsFunc(name, unicode.IsControl) {
				t.Fatalf("accepted name %q", name)
			}
			for _, val := range vals {
				n++
				if !utf8.ValidString(val) || len(val) > MaxValue || strings.ContainsFunc(val, unicode.IsControl) || strings.ContainsRune(val, 0) {
					t.Fatalf("accepted value %q", val)
				}
			}
		}
		if n > MaxFields {
			t.Fatalf("accepted %d fields", n)
		}
	})
}
