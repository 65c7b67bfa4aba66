package layout

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestParse(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{
		"templates/layout.html": {Data: []byte(`<title>{{block "title" .}}-{{end}}</title>{{block "content" .}}{{end}}`)},
		"templates/a.html":      {Data: []byte(`{{define "title"}}A{{end}}{{define "content"}}{{up .}}{{end}}`)},
		"templates/b.html":      {Data: []byte(`{{define "content"}}b{{end}}`)},
	}
	pages, err := Parse(fsys, map[string]any{"up": strings.ToUpper})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"a": "<title>A</title>X", "b": "<title>-</title>b"} {
		var sb strings.Builder
		if err := pages[name].ExecuteTemplate(&sb, "layout.html", "x"); err != nil {
			t.Fatal(err)
		}
		if sb.String() != want {
			t.Errorf("page %s = %q, want %q", name, sb.String(), want)
		}
	}
	if _, ok := pages["layout"]; ok {
		t.Error("the layout itself is listed as a page")
	}
	fsys["templates/bad.html"] = &fstest.MapFile{Data: []byte(`{{define "content"}}{{end`)}
	if _, err := Parse(fsys, map[string]any{"up": strings.ToUpper}); err == nil || !strings.Contains(err.Error(), "bad.html") {
		t.Errorf("broken page: err = %v, want one naming bad.html", err)
	}
}
