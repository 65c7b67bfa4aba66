package gisexchange

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var codeRe = regexp.MustCompile(`\b(?:INT|SRV|AUT|FMT|EXP|FIL)[0-9]{6}\b`)

// codesIn returns the GIS error codes written in the non-test Go files of dir.
func codesIn(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s: %v", dir, err)
	}
	var codes []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, codeRe.FindAllString(string(b), -1)...)
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// TestErrorCatalog: every code the simulator can answer, the connector
// names, the research note lists and the exchange writes itself has an
// entry with a class, a cause and a remedy; entries are unique.
func TestErrorCatalog(t *testing.T) {
	t.Parallel()
	sim := codesIn(t, "../../connectors/giszhkh/sim")
	if len(sim) < 5 {
		t.Fatalf("found only %v in the simulator: the scan is broken", sim)
	}
	want := map[string]string{}
	for _, c := range sim {
		want[c] = "simulator"
	}
	for _, c := range codesIn(t, "../../connectors/giszhkh") {
		want[c] = "connector"
	}
	b, err := os.ReadFile("testdata/research_codes.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			want[l] = "research list"
		}
	}
	// The note itself, when the shared folder is checked out beside the repository.
	if note, err := os.ReadFile("../../../shared/research/gis-zhkh.md"); err == nil {
		for _, c := range codeRe.FindAllString(string(note), -1) {
			want[c] = "research note"
		}
	}
	for _, c := range []string{"TRANSPORT", "MAPPING", "NORESULT", "HTTP502", "HTTP503", "HTTP504", "HTTP429"} {
		want[c] = "exchange"
	}
	for code, from := range want {
		e := ExplainError(code)
		if !e.Known {
			t.Errorf("%s (%s) has no entry in the catalog", code, from)
		}
	}
	seen := map[string]bool{}
	for _, e := range errorCatalog {
		if seen[e.Code] {
			t.Errorf("%s listed twice", e.Code)
		}
		seen[e.Code] = true
		if !slices.Contains(ErrorClasses, e.Class) || e.Class.Title() == "Прочее" {
			t.Errorf("%s: class %q is not one of %v", e.Code, e.Class, ErrorClasses)
		}
		if !cyrillic(e.Cause) || !cyrillic(e.Remedy) {
			t.Errorf("%s: cause %q and remedy %q must be Russian", e.Code, e.Cause, e.Remedy)
		}
	}
}

func cyrillic(s string) bool {
	n := 0
	for _, r := range s {
		if r >= 'А' && r <= 'я' {
			n++
		}
	}
	return n > len([]rune(s))/3
}

func TestExplainError(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code  string
		class ErrorClass
		known bool
	}{
		{"EXP001000", ClassResend, true},
		{"exp001000", ClassResend, true},
		{"INT004132", ClassBusiness, true},
		{"FMT001300", ClassData, true},
		{"HTTP502", ClassTransport, true},
		{"INT999999", ClassBusiness, false},
		{"HTTP418", ClassTransport, false},
		{"FMT123456", ClassData, false},
		{"WHATEVER", ClassResend, false},
	} {
		e := ExplainError(tc.code)
		if e.Class != tc.class || e.Known != tc.known || e.Cause == "" || e.Remedy == "" {
			t.Errorf("ExplainError(%q) = %+v, want class %s known %v with a cause and a remedy", tc.code, e, tc.class, tc.known)
		}
	}
	if e := ExplainError(""); e.Code != "" || e.Cause != "" {
		t.Errorf("empty code explained: %+v", e)
	}
}

func TestPrerequisite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ code, kind, want string }{
		{"INT002000", "meter", PrereqAccount},
		{"INT002000", "document", PrereqAccount},
		{"INT002000", "payment", ""},
		{"INT002034", "account", PrereqPremises},
		{"INT002034", "meter", PrereqPremises},
		{"INT004132", "account", ""},
	} {
		if got := Prerequisite(tc.code, tc.kind); got != tc.want {
			t.Errorf("Prerequisite(%s, %s) = %q, want %q", tc.code, tc.kind, got, tc.want)
		}
	}
	codes, kinds, waits := PrerequisiteCodes()
	for i := range codes {
		if waits[i] == "" || Prerequisite(codes[i], kinds[i]) != waits[i] {
			t.Errorf("PrerequisiteCodes row %d (%s, %s, %s) disagrees with Prerequisite", i, codes[i], kinds[i], waits[i])
		}
	}
}

// TestObjectSubject: every object kind a subject sends is found, from the
// registry itself, as the subject that sends it.
func TestObjectSubject(t *testing.T) {
	t.Parallel()
	for _, s := range subjects {
		if s.Object == "" {
			continue
		}
		if got, ok := subjectSending(s.Object); !ok || got != s.What {
			t.Errorf("objects %q are sent by %s, subjectSending says %q", s.Object, s.What, got)
		}
	}
	if _, ok := subjectSending("letter"); ok {
		t.Error("an object kind no subject sends was found")
	}
}
