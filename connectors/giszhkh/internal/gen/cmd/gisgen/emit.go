package main

import (
	"encoding/xml"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// modulePath is the import path prefix of the generated packages.
const modulePath = "github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/"

// pkg collects the code of one generated package (one XML namespace).
type pkg struct {
	ns      string
	name    string
	imports map[string]bool
	used    map[string]bool // Go identifiers taken at package level
	code    strings.Builder
	consts  []string
}

// kind classifies a Go type for pointer/omitempty decisions.
type kind int

const (
	kindString kind = iota
	kindBool
	kindInt
	kindStruct
)

// generator turns a schemaSet into packages.
type generator struct {
	ss       *schemaSet
	pkgs     map[string]*pkg     // by namespace
	names    map[xml.Name]string // complexType / simpleType -> Go name
	elemName map[xml.Name]string // global element with anonymous complex type -> Go name
	warnings []string
}

func newGenerator(ss *schemaSet) *generator {
	return &generator{ss: ss, pkgs: map[string]*pkg{}, names: map[xml.Name]string{}, elemName: map[xml.Name]string{}}
}

// pkgName derives the Go package name from a namespace URI:
// ".../integration/house-management/" -> "housemanagement".
func pkgName(ns string) string {
	if ns == nsDSig {
		return "xmldsig"
	}
	s := strings.TrimSuffix(strings.TrimPrefix(ns, nsPrefix), "/")
	return strings.ReplaceAll(s, "-", "")
}

func (g *generator) pkgFor(ns string) *pkg {
	if p, ok := g.pkgs[ns]; ok {
		return p
	}
	p := &pkg{ns: ns, name: pkgName(ns), imports: map[string]bool{}, used: map[string]bool{}}
	g.pkgs[ns] = p
	return p
}

// exported turns an XML name into an exported Go identifier.
func exported(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_':
			if i == 0 {
				if unicode.IsDigit(r) {
					b.WriteString("X")
				}
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}

// claim reserves a package-level Go name, adding a numeric suffix on clashes.
func (p *pkg) claim(name string) string {
	n := name
	for i := 2; p.used[n]; i++ {
		n = fmt.Sprintf("%s%d", name, i)
	}
	p.used[n] = true
	return n
}

// ref returns the Go expression naming typ (declared in package to) from p.
func (g *generator) ref(p *pkg, to *pkg, typ string) string {
	if p == to {
		return typ
	}
	p.imports[modulePath+to.name] = true
	return to.name + "." + typ
}

// assignNames gives every global complexType, simpleType and anonymous-typed
// global element its Go name before any code is written, so references work
// in any order. Types win name clashes over elements.
func (g *generator) assignNames() {
	for _, s := range g.ss.order {
		if s.ns == nsDSig {
			continue
		}
		p := g.pkgFor(s.ns)
		for _, c := range s.root.kids("complexType", "simpleType") {
			q := xml.Name{Space: s.ns, Local: c.attr("name")}
			g.names[q] = p.claim(exported(q.Local))
		}
	}
	for _, s := range g.ss.order {
		if s.ns == nsDSig {
			continue
		}
		p := g.pkgFor(s.ns)
		for _, e := range s.root.kids("element") {
			if e.attr("type") == "" && e.kid("complexType") != nil {
				q := xml.Name{Space: s.ns, Local: e.attr("name")}
				name := exported(q.Local)
				if p.used[name] {
					name += "Element"
				}
				g.elemName[q] = p.claim(name)
			}
		}
	}
}

var builtinKinds = map[string]kind{
	"boolean": kindBool,
	"int":     kindInt, "integer": kindInt, "long": kindInt, "short": kindInt, "byte": kindInt,
	"positiveInteger": kindInt, "nonNegativeInteger": kindInt, "negativeInteger": kindInt,
	"nonPositiveInteger": kindInt, "unsignedInt": kindInt, "unsignedShort": kindInt,
	"unsignedLong": kindInt, "unsignedByte": kindInt,
}

// builtin maps an XSD built-in type. Decimals, dates and binary data stay
// strings: money must never pass through float64, and xs:date has no exact
// time.Time encoding in encoding/xml.
func builtin(local string) (string, kind) {
	k, ok := builtinKinds[local]
	switch {
	case !ok:
		return "string", kindString
	case k == kindBool:
		return "bool", kindBool
	case local == "byte":
		return "int8", kindInt
	default:
		return "int64", kindInt
	}
}

// typeRef resolves a type QName used in schema s to a Go type seen from p.
func (g *generator) typeRef(p *pkg, q xml.Name) (string, kind, error) {
	if q.Space == nsXSD {
		t, k := builtin(q.Local)
		return t, k, nil
	}
	if d, ok := g.ss.types[q]; ok {
		return g.ref(p, g.pkgFor(d.s.ns), g.names[q]), kindStruct, nil
	}
	if d, ok := g.ss.simple[q]; ok {
		_, k, err := g.simpleKind(d.s, d.n)
		if err != nil {
			return "", 0, err
		}
		return g.ref(p, g.pkgFor(d.s.ns), g.names[q]), k, nil
	}
	return "", 0, fmt.Errorf("unknown type %s", q)
}

// simpleKind returns the Go base type and kind of a simpleType node.
func (g *generator) simpleKind(s *schema, st *node) (string, kind, error) {
	r := st.kid("restriction")
	if r == nil {
		return "string", kindString, nil // list/union: not used by these schemas
	}
	if r.attr("base") == "" {
		if inner := r.kid("simpleType"); inner != nil {
			return g.simpleKind(s, inner)
		}
		return "string", kindString, nil
	}
	q, err := s.qname(r.attr("base"))
	if err != nil {
		return "", 0, err
	}
	if q.Space == nsXSD {
		t, k := builtin(q.Local)
		return t, k, nil
	}
	d, ok := g.ss.simple[q]
	if !ok {
		return "", 0, fmt.Errorf("%s: unknown simple type %s", s.file, q)
	}
	return g.simpleKind(d.s, d.n)
}

// emitSimple writes a named simple type and its enumeration constants.
func (g *generator) emitSimple(p *pkg, s *schema, st *node, goName string) error {
	base := "string"
	k := kindString
	if r := st.kid("restriction"); r != nil && r.attr("base") != "" {
		q, err := s.qname(r.attr("base"))
		if err != nil {
			return err
		}
		base, k, err = g.typeRef(p, q)
		if err != nil {
			return fmt.Errorf("%s: simpleType %s: %w", s.file, st.attr("name"), err)
		}
	} else if _, kk, err := g.simpleKind(s, st); err == nil {
		k = kk
		base, _ = builtin(map[kind]string{kindBool: "boolean", kindInt: "long"}[kk])
	}
	writeDoc(&p.code, goName, st.doc())
	fmt.Fprintf(&p.code, "type %s %s\n\n", goName, base)
	r := st.kid("restriction")
	if r == nil {
		return nil
	}
	enums := r.kids("enumeration")
	if len(enums) == 0 {
		return nil
	}
	p.code.WriteString("const (\n")
	for _, e := range enums {
		v := e.attr("value")
		cname := p.claim(goName + exported(v))
		if d := e.doc(); d != "" {
			fmt.Fprintf(&p.code, "\t// %s is %q: %s\n", cname, v, d)
		} else {
			fmt.Fprintf(&p.code, "\t// %s is %q.\n", cname, v)
		}
		if k == kindString {
			fmt.Fprintf(&p.code, "\t%s %s = %s\n", cname, goName, strconv.Quote(v))
		} else {
			fmt.Fprintf(&p.code, "\t%s %s = %s\n", cname, goName, v)
		}
	}
	p.code.WriteString(")\n\n")
	return nil
}

func writeDoc(b *strings.Builder, name, doc string) {
	if doc == "" {
		fmt.Fprintf(b, "// %s is generated from the schema.\n", name)
		return
	}
	fmt.Fprintf(b, "// %s: %s\n", name, doc)
}

// field is one struct field in XSD order.
type field struct {
	name, typ, tag, doc string
}

// structBuilder accumulates the fields of one struct.
type structBuilder struct {
	owner  string
	fields []field
	byTag  map[string]int
	byName map[string]bool
}

func newStruct(owner string) *structBuilder {
	return &structBuilder{owner: owner, byTag: map[string]int{}, byName: map[string]bool{}}
}

func (sb *structBuilder) add(g *generator, f field, xmlKey string) {
	if i, ok := sb.byTag[xmlKey]; ok {
		if sb.fields[i].typ == f.typ {
			return // same element in two choice branches: one field serves both
		}
		g.warnings = append(g.warnings, fmt.Sprintf("%s: element %s appears with types %s and %s", sb.owner, xmlKey, sb.fields[i].typ, f.typ))
	}
	name := f.name
	for i := 2; sb.byName[name]; i++ {
		name = fmt.Sprintf("%s%d", f.name, i)
	}
	f.name = name
	sb.byName[name] = true
	sb.byTag[xmlKey] = len(sb.fields)
	sb.fields = append(sb.fields, f)
}

func occurs(n *node) (min, max int) {
	min, max = 1, 1
	if v := n.attr("minOccurs"); v != "" {
		min, _ = strconv.Atoi(v)
	}
	switch v := n.attr("maxOccurs"); v {
	case "":
	case "unbounded":
		max = -1
	default:
		max, _ = strconv.Atoi(v)
	}
	return min, max
}

// emitComplex writes the struct for a complex type (named, anonymous local or
// anonymous global element). elem, when set, is the element name the struct
// is always marshalled as (XMLName).
func (g *generator) emitComplex(p *pkg, s *schema, ct *node, goName string, elem *xml.Name, doc string) error {
	sb := newStruct(goName)
	var embed string
	if cc := ct.kid("complexContent"); cc != nil {
		ext := cc.kid("extension")
		content := ext
		if ext != nil {
			q, err := s.qname(ext.attr("base"))
			if err != nil {
				return err
			}
			if q.Space != nsXSD {
				t, _, err := g.typeRef(p, q)
				if err != nil {
					return fmt.Errorf("%s: %s: %w", s.file, goName, err)
				}
				embed = t
			}
		} else {
			content = cc.kid("restriction") // restriction restates the content
		}
		if content != nil {
			if err := g.walk(p, s, goName, content, false, false, sb); err != nil {
				return err
			}
			if err := g.attributes(p, s, goName, content, sb); err != nil {
				return err
			}
		}
	} else if sc := ct.kid("simpleContent"); sc != nil {
		content := sc.kid("extension")
		if content == nil {
			content = sc.kid("restriction")
		}
		q, err := s.qname(content.attr("base"))
		if err != nil {
			return err
		}
		t, k, err := g.typeRef(p, q)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", s.file, goName, err)
		}
		if k == kindStruct {
			embed = t
		} else {
			sb.add(g, field{name: "Value", typ: t, tag: ",chardata"}, ",chardata")
		}
		if err := g.attributes(p, s, goName, content, sb); err != nil {
			return err
		}
	} else {
		if err := g.walk(p, s, goName, ct, false, false, sb); err != nil {
			return err
		}
		if err := g.attributes(p, s, goName, ct, sb); err != nil {
			return err
		}
	}

	writeDoc(&p.code, goName, doc)
	fmt.Fprintf(&p.code, "type %s struct {\n", goName)
	if elem != nil {
		fmt.Fprintf(&p.code, "\tXMLName xml.Name `xml:\"%s %s\"`\n", elem.Space, elem.Local)
		p.imports["encoding/xml"] = true
	}
	if embed != "" {
		fmt.Fprintf(&p.code, "\t%s\n", embed)
	}
	for _, f := range sb.fields {
		if f.doc != "" {
			fmt.Fprintf(&p.code, "\t// %s\n", f.doc)
		}
		fmt.Fprintf(&p.code, "\t%s %s `xml:\"%s\"`\n", f.name, f.typ, f.tag)
	}
	p.code.WriteString("}\n\n")
	return nil
}

// walk adds the element particles below n (sequence/choice/all nesting,
// flattened in document order; these schemas repeat no group).
func (g *generator) walk(p *pkg, s *schema, owner string, n *node, opt, rep bool, sb *structBuilder) error {
	inChoice := n.name.Local == "choice"
	for _, c := range n.children {
		if c.name.Space != nsXSD {
			continue
		}
		min, max := occurs(c)
		cOpt := opt || inChoice || min == 0
		cRep := rep || max > 1 || max == -1
		switch c.name.Local {
		case "sequence", "choice", "all":
			if err := g.walk(p, s, owner, c, cOpt, cRep, sb); err != nil {
				return err
			}
		case "element":
			if err := g.element(p, s, owner, c, cOpt, cRep, max, sb); err != nil {
				return err
			}
		case "any":
			g.warnings = append(g.warnings, owner+": xs:any skipped")
		}
	}
	return nil
}

// element adds the field for one element particle.
func (g *generator) element(p *pkg, s *schema, owner string, el *node, opt, rep bool, max int, sb *structBuilder) error {
	var (
		name xml.Name
		typ  string
		k    kind
		doc  = el.doc()
	)
	if r := el.attr("ref"); r != "" {
		q, err := s.qname(r)
		if err != nil {
			return err
		}
		name = q
		if q.Space == nsDSig {
			typ, k = g.ref(p, g.pkgFor(nsDSig), q.Local), kindStruct
		} else {
			d, ok := g.ss.elements[q]
			if !ok {
				return fmt.Errorf("%s: %s: unknown element %s", s.file, owner, q)
			}
			if doc == "" {
				doc = d.n.doc()
			}
			typ, k, err = g.elementType(p, d.s, d.n, "", q)
			if err != nil {
				return err
			}
		}
	} else {
		name = xml.Name{Space: s.ns, Local: el.attr("name")}
		var err error
		typ, k, err = g.elementType(p, s, el, owner, xml.Name{})
		if err != nil {
			return err
		}
	}
	tag := name.Space + " " + name.Local
	switch {
	case rep:
		typ = "[]" + typ
		tag += ",omitempty"
	case opt:
		if k != kindString {
			typ = "*" + typ
		}
		tag += ",omitempty"
	}
	fname := exported(name.Local)
	if doc != "" {
		doc = fname + ": " + doc
	}
	sb.add(g, field{name: fname, typ: typ, tag: tag, doc: doc}, tag[:strings.IndexByte(tag+",", ',')])
	if max > 1 {
		p.consts = append(p.consts, fmt.Sprintf("%s_%sMaxOccurs = %d", owner, fname, max))
	}
	return nil
}

// elementType returns the Go type of an element declaration. owner is the
// Go name of the enclosing type for local elements ("" for global ones,
// whose anonymous types were named by assignNames).
func (g *generator) elementType(p *pkg, s *schema, el *node, owner string, global xml.Name) (string, kind, error) {
	if t := el.attr("type"); t != "" {
		q, err := s.qname(t)
		if err != nil {
			return "", 0, err
		}
		return g.typeRef(p, q)
	}
	if st := el.kid("simpleType"); st != nil {
		t, k, err := g.simpleKind(s, st)
		return t, k, err
	}
	if el.kid("complexType") != nil {
		if owner == "" {
			return g.ref(p, g.pkgFor(s.ns), g.elemName[global]), kindStruct, nil
		}
		// Anonymous local type: its own named struct in the schema's package.
		sp := g.pkgFor(s.ns)
		goName := sp.claim(owner + "_" + exported(el.attr("name")))
		if err := g.emitComplex(sp, s, el.kid("complexType"), goName, nil, el.doc()); err != nil {
			return "", 0, err
		}
		return g.ref(p, sp, goName), kindStruct, nil
	}
	return "string", kindString, nil // no type: xs:anyType, text only here
}

// attributes adds the attribute fields declared directly in n.
func (g *generator) attributes(p *pkg, s *schema, owner string, n *node, sb *structBuilder) error {
	for _, a := range n.kids("attribute") {
		var (
			local, ns string
			decl      = a
			ds        = s
		)
		if r := a.attr("ref"); r != "" {
			q, err := s.qname(r)
			if err != nil {
				return err
			}
			d, ok := g.ss.attrs[q]
			if !ok {
				return fmt.Errorf("%s: %s: unknown attribute %s", s.file, owner, q)
			}
			local, ns, decl, ds = q.Local, q.Space, d.n, d.s
		} else {
			local = a.attr("name")
		}
		typ, k := "string", kindString
		if t := decl.attr("type"); t != "" {
			q, err := ds.qname(t)
			if err != nil {
				return err
			}
			if typ, k, err = g.typeRef(p, q); err != nil {
				return err
			}
		} else if st := decl.kid("simpleType"); st != nil {
			var err error
			if typ, k, err = g.simpleKind(ds, st); err != nil {
				return err
			}
		}
		tag := local + ",attr"
		if ns != "" {
			tag = ns + " " + tag
		}
		if a.attr("use") != "required" {
			tag += ",omitempty"
			if k != kindString {
				typ = "*" + typ
			}
		}
		fname := exported(local)
		sb.add(g, field{name: fname, typ: typ, tag: tag, doc: ""}, "@"+ns+" "+local)
		if fixed := a.attr("fixed"); fixed != "" {
			p.consts = append(p.consts, fmt.Sprintf("%s_%sFixed = %s", owner, fname, strconv.Quote(fixed)))
		}
	}
	return nil
}

// run emits every declaration of every schema.
func (g *generator) run() error {
	g.assignNames()
	for _, s := range g.ss.order {
		if s.ns == nsDSig {
			continue
		}
		p := g.pkgFor(s.ns)
		for _, c := range s.root.children {
			if c.name.Space != nsXSD {
				continue
			}
			q := xml.Name{Space: s.ns, Local: c.attr("name")}
			var err error
			switch c.name.Local {
			case "simpleType":
				err = g.emitSimple(p, s, c, g.names[q])
			case "complexType":
				err = g.emitComplex(p, s, c, g.names[q], nil, c.doc())
			case "element":
				if goName, ok := g.elemName[q]; ok {
					err = g.emitComplex(p, s, c.kid("complexType"), goName, &q, c.doc())
				}
			}
			if err != nil {
				return err
			}
		}
	}
	// xmldsig: the signature is built and checked as XML (etree), so the
	// types only carry it through verbatim.
	dp := g.pkgFor(nsDSig)
	dp.imports["encoding/xml"] = true
	fmt.Fprintf(&dp.code, "// Signature is an enveloped ds:Signature kept as raw XML.\ntype Signature struct {\n"+
		"\tXMLName xml.Name `xml:\"%s Signature\"`\n\tInnerXML string `xml:\",innerxml\"`\n}\n\n", nsDSig)
	return nil
}

// source returns the package's file content (unformatted).
func (p *pkg) source(header string) string {
	var b strings.Builder
	b.WriteString(header)
	fmt.Fprintf(&b, "// Package %s holds the types of namespace %s.\npackage %s\n\n", p.name, p.ns, p.name)
	if len(p.imports) > 0 {
		var imps []string
		for i := range p.imports {
			imps = append(imps, strconv.Quote(i))
		}
		sort.Strings(imps)
		fmt.Fprintf(&b, "import (\n%s\n)\n\n", strings.Join(imps, "\n"))
	}
	if len(p.consts) > 0 {
		b.WriteString("// Limits (maxOccurs) and fixed attribute values from the schema.\nconst (\n")
		for _, c := range p.consts {
			b.WriteString(c + "\n")
		}
		b.WriteString(")\n\n")
	}
	b.WriteString(p.code.String())
	return b.String()
}
