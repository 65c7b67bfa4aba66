// Package layout parses server-rendered HTML pages that share one layout:
// templates/layout.html plus one file per page defining its blocks
// ("title", "content", …). Each page gets its own template set, so every
// page may define the same block names.
package layout

import (
	"fmt"
	"html/template"
	"io/fs"
	"path"
	"strings"
)

// Parse reads templates/layout.html and every other templates/*.html in
// fsys and returns the pages by file name without extension. Execute a page
// by the name "layout.html".
func Parse(fsys fs.FS, funcs template.FuncMap) (map[string]*template.Template, error) {
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(fsys, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	files, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		clone, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
		if pages[name], err = clone.ParseFS(fsys, f); err != nil {
			return nil, fmt.Errorf("parse %s: %w", f, err)
		}
	}
	return pages, nil
}
