// Package canon writes the generated schema structs as XML that is already
// in Exclusive XML Canonicalization form (xml-exc-c14n, without comments):
// namespace declarations only where a prefix is first visibly used, sorted
// declarations and attributes, canonical escaping, no empty-element tags.
//
// A signed GIS request body written this way can be hashed as is, without
// parsing it back and canonicalizing a 1–2 MB tree — the step that dominates
// signing cost. The receiving side (and our tests) still verify with the
// etree/goxmldsig canonicalizer, so any divergence shows up as a digest
// mismatch.
//
// It understands the subset of encoding/xml struct tags the generator emits:
// "ns local[,omitempty]", "[ns ]local,attr[,omitempty]", ",chardata",
// ",innerxml", XMLName fields and embedded structs.
package canon

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Prefixes maps namespace URIs to the prefixes written for them. Namespaces
// not listed get a prefix derived from their last path segment.
type Prefixes map[string]string

// Writer writes canonical XML into a buffer. The zero value is not usable;
// use New.
type Writer struct {
	buf     *bytes.Buffer
	fixed   Prefixes            // shared, read only
	derived map[string]string   // this writer's derived prefixes
	scope   []map[string]string // rendered declarations per open element
	root    map[string]string   // declarations rendered on the first element
	rootTag int                 // length of the first start tag
}

// New returns a Writer appending to buf. prefixes is only read, so one map
// may serve concurrent writers.
func New(buf *bytes.Buffer, prefixes Prefixes) *Writer {
	return &Writer{buf: buf, fixed: prefixes, derived: map[string]string{}}
}

// RootDeclarations returns the namespace declarations (prefix → URI) written
// on the outermost element.
func (w *Writer) RootDeclarations() map[string]string { return w.root }

// RootStartTagLen returns the length in bytes of the outermost element's
// start tag, where content such as an enveloped signature can be inserted.
func (w *Writer) RootStartTagLen() int { return w.rootTag }

// Element writes v (a struct, or pointer to one, with an XMLName field) as
// one element.
func (w *Writer) Element(v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	ti := typeInfoOf(rv.Type())
	if ti.xmlName.local == "" {
		return fmt.Errorf("canon: %s has no XMLName tag", rv.Type())
	}
	return w.element(ti.xmlName, rv)
}

// ElementAs writes v (a struct or pointer to one) as an element named
// {ns}local, whatever its XMLName says.
func (w *Writer) ElementAs(ns, local string, v any) error {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("canon: ElementAs needs a struct, got %s", rv.Kind())
	}
	return w.element(name{ns, local}, rv)
}

// PrefixFor returns the prefix used for namespace ns.
func (w *Writer) PrefixFor(ns string) string {
	if p, ok := w.fixed[ns]; ok {
		return p
	}
	if p, ok := w.derived[ns]; ok {
		return p
	}
	s := strings.TrimSuffix(ns, "/")
	if i := strings.LastIndexAny(s, "/#:"); i >= 0 {
		s = s[i+1:]
	}
	if s == "" || !isNameStart(s[0]) {
		s = "ns" + s
	}
	w.derived[ns] = s
	return s
}

func isNameStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }

type name struct{ ns, local string }

type fieldInfo struct {
	index     []int
	name      name
	attr      bool
	chardata  bool
	innerxml  bool
	omitempty bool
}

type typeInfo struct {
	xmlName name
	fields  []fieldInfo
}

var cache sync.Map // reflect.Type → *typeInfo

func typeInfoOf(t reflect.Type) *typeInfo {
	if ti, ok := cache.Load(t); ok {
		return ti.(*typeInfo)
	}
	ti := &typeInfo{}
	collect(t, nil, ti)
	cache.Store(t, ti)
	return ti
}

func parseTag(tag string) (n name, opts string) {
	spec, opts, _ := strings.Cut(tag, ",")
	if ns, local, ok := strings.Cut(spec, " "); ok {
		return name{ns, local}, opts
	}
	return name{local: spec}, opts
}

func collect(t reflect.Type, index []int, ti *typeInfo) {
	for i := range t.NumField() {
		f := t.Field(i)
		idx := append(append([]int(nil), index...), i)
		tag, hasTag := f.Tag.Lookup("xml")
		if f.Name == "XMLName" {
			if len(index) == 0 {
				ti.xmlName, _ = parseTag(tag)
			}
			continue
		}
		if f.Anonymous && !hasTag {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			collect(ft, idx, ti)
			continue
		}
		if !f.IsExported() || tag == "-" {
			continue
		}
		n, opts := parseTag(tag)
		fi := fieldInfo{index: idx, name: n}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "attr":
				fi.attr = true
			case "chardata":
				fi.chardata = true
			case "innerxml":
				fi.innerxml = true
			case "omitempty":
				fi.omitempty = true
			}
		}
		if fi.name.local == "" && !fi.chardata && !fi.innerxml {
			fi.name.local = f.Name
		}
		ti.fields = append(ti.fields, fi)
	}
}

// fieldValue follows the index through embedded structs; ok is false when
// a nil embedded pointer is on the way.
func fieldValue(v reflect.Value, index []int) (reflect.Value, bool) {
	if len(index) == 1 { // the common case: no embedded struct on the way
		return v.Field(index[0]), true
	}
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String, reflect.Slice, reflect.Map, reflect.Array:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	}
	return false
}

// scalar formats a simple value as encoding/xml would.
func scalar(v reflect.Value) (string, error) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10), nil
	}
	return "", fmt.Errorf("canon: unsupported value kind %s", v.Kind())
}

type attr struct {
	ns, prefix, local, value string
}

func (w *Writer) declared(prefix, ns string) bool {
	for i := len(w.scope) - 1; i >= 0; i-- {
		if u, ok := w.scope[i][prefix]; ok {
			return u == ns
		}
	}
	return false
}

func (w *Writer) element(n name, v reflect.Value) error {
	ti := typeInfoOf(v.Type())
	start := w.buf.Len()
	var attrBuf [8]attr // most elements have a few attributes or none
	attrs := attrBuf[:0]
	var chardata, inner *reflect.Value
	for _, f := range ti.fields {
		fv, ok := fieldValue(v, f.index)
		if !ok {
			continue
		}
		switch {
		case f.attr:
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					continue
				}
				fv = fv.Elem()
			}
			if f.omitempty && isEmpty(fv) {
				continue
			}
			s, err := scalar(fv)
			if err != nil {
				return fmt.Errorf("%s/@%s: %w", n.local, f.name.local, err)
			}
			a := attr{ns: f.name.ns, local: f.name.local, value: s}
			if a.ns != "" {
				a.prefix = w.PrefixFor(a.ns)
			}
			attrs = append(attrs, a)
		case f.chardata:
			fv := fv
			chardata = &fv
		case f.innerxml:
			fv := fv
			inner = &fv
		}
	}

	// Namespace declarations: the element's prefix and its attributes'
	// prefixes, unless an output ancestor declared them already. Most
	// elements declare nothing; their map stays nil (reads of nil are fine).
	prefix := w.PrefixFor(n.ns)
	var decl map[string]string
	if !w.declared(prefix, n.ns) {
		decl = map[string]string{prefix: n.ns}
	}
	for _, a := range attrs {
		if a.prefix != "" && !w.declared(a.prefix, a.ns) {
			if decl == nil {
				decl = map[string]string{}
			}
			decl[a.prefix] = a.ns
		}
	}
	w.buf.WriteByte('<')
	w.buf.WriteString(prefix)
	w.buf.WriteByte(':')
	w.buf.WriteString(n.local)
	if len(decl) > 0 {
		keys := make([]string, 0, len(decl))
		for p := range decl {
			keys = append(keys, p)
		}
		slices.Sort(keys)
		for _, p := range keys {
			w.buf.WriteString(" xmlns:")
			w.buf.WriteString(p)
			w.buf.WriteString(`="`)
			escapeAttr(w.buf, decl[p])
			w.buf.WriteByte('"')
		}
	}
	if len(attrs) > 1 {
		slices.SortFunc(attrs, func(a, b attr) int {
			if c := strings.Compare(a.ns, b.ns); c != 0 {
				return c
			}
			return strings.Compare(a.local, b.local)
		})
	}
	for _, a := range attrs {
		if err := checkChars(a.value); err != nil {
			return fmt.Errorf("%s/@%s: %w", n.local, a.local, err)
		}
		w.buf.WriteByte(' ')
		if a.prefix != "" {
			w.buf.WriteString(a.prefix)
			w.buf.WriteByte(':')
		}
		w.buf.WriteString(a.local)
		w.buf.WriteString(`="`)
		escapeAttr(w.buf, a.value)
		w.buf.WriteByte('"')
	}
	w.buf.WriteByte('>')
	if len(w.scope) == 0 && w.root == nil {
		w.root = decl
		w.rootTag = w.buf.Len() - start
	}
	w.scope = append(w.scope, decl)

	if chardata != nil {
		s, err := scalar(*chardata)
		if err != nil {
			return fmt.Errorf("%s: %w", n.local, err)
		}
		if err := checkChars(s); err != nil {
			return fmt.Errorf("%s: %w", n.local, err)
		}
		escapeText(w.buf, s)
	}
	if inner != nil && inner.Len() > 0 {
		return fmt.Errorf("%s: canon: raw inner XML cannot be written canonically", n.local)
	}
	for _, f := range ti.fields {
		if f.attr || f.chardata || f.innerxml {
			continue
		}
		fv, ok := fieldValue(v, f.index)
		if !ok {
			continue
		}
		if err := w.child(f, fv); err != nil {
			return fmt.Errorf("%s/%w", n.local, err)
		}
	}

	w.scope = w.scope[:len(w.scope)-1]
	w.buf.WriteString("</")
	w.buf.WriteString(prefix)
	w.buf.WriteByte(':')
	w.buf.WriteString(n.local)
	w.buf.WriteByte('>')
	return nil
}

func (w *Writer) child(f fieldInfo, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Slice:
		for i := range v.Len() {
			if err := w.child(f, v.Index(i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return w.child(f, v.Elem())
	case reflect.Struct:
		return w.element(f.name, v)
	}
	if f.omitempty && isEmpty(v) {
		return nil
	}
	s, err := scalar(v)
	if err != nil {
		return fmt.Errorf("%s: %w", f.name.local, err)
	}
	if err := checkChars(s); err != nil {
		return fmt.Errorf("%s: %w", f.name.local, err)
	}
	prefix := w.PrefixFor(f.name.ns)
	w.buf.WriteByte('<')
	w.buf.WriteString(prefix)
	w.buf.WriteByte(':')
	w.buf.WriteString(f.name.local)
	if !w.declared(prefix, f.name.ns) {
		w.buf.WriteString(" xmlns:")
		w.buf.WriteString(prefix)
		w.buf.WriteString(`="`)
		escapeAttr(w.buf, f.name.ns)
		w.buf.WriteByte('"')
	}
	w.buf.WriteByte('>')
	escapeText(w.buf, s)
	w.buf.WriteString("</")
	w.buf.WriteString(prefix)
	w.buf.WriteByte(':')
	w.buf.WriteString(f.name.local)
	w.buf.WriteByte('>')
	return nil
}

// checkChars rejects text XML cannot carry, and carriage returns, which a
// parser would turn into line feeds and so break the signed digest.
func checkChars(s string) error {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return fmt.Errorf("invalid UTF-8 at byte %d", i)
			}
		}
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0xFFFE || r == 0xFFFF {
			return fmt.Errorf("character %U at byte %d is not allowed in XML text", r, i)
		}
	}
	return nil
}

func escapeText(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}

func escapeAttr(b *bytes.Buffer, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
