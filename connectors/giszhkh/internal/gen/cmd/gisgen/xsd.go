package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const (
	nsXSD    = "http://www.w3.org/2001/XMLSchema"
	nsDSig   = "http://www.w3.org/2000/09/xmldsig#"
	nsPrefix = "http://dom.gosuslugi.ru/schema/integration/"
)

// node is an order-preserving XML element tree. gowsdl's XSD model keeps only
// some particle shapes (it has no place for a sequence inside a choice, nor
// for a choice inside an extension's sequence), so the schemas are read into
// this tree and walked in document order instead.
type node struct {
	name     xml.Name
	attrs    map[string]string
	children []*node
	text     strings.Builder
}

func (n *node) attr(local string) string { return n.attrs[local] }

// kids returns the XSD-namespace children with one of the given local names.
func (n *node) kids(locals ...string) []*node {
	var out []*node
	for _, c := range n.children {
		if c.name.Space != nsXSD {
			continue
		}
		for _, l := range locals {
			if c.name.Local == l {
				out = append(out, c)
			}
		}
	}
	return out
}

func (n *node) kid(local string) *node {
	if k := n.kids(local); len(k) > 0 {
		return k[0]
	}
	return nil
}

// doc returns the first line of the node's xs:annotation/xs:documentation.
func (n *node) doc() string {
	a := n.kid("annotation")
	if a == nil {
		return ""
	}
	d := a.kid("documentation")
	if d == nil {
		return ""
	}
	s := strings.Join(strings.Fields(d.text.String()), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

func parseTree(r io.Reader) (*node, error) {
	dec := xml.NewDecoder(r)
	var stack []*node
	var root *node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &node{name: t.Name, attrs: map[string]string{}}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" {
					n.attrs["xmlns:"+a.Name.Local] = a.Value
					continue
				}
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

// schema is one loaded XSD file.
type schema struct {
	file     string // path relative to the spec root, for messages
	ns       string // targetNamespace
	prefixes map[string]string
	root     *node
}

// qname resolves a prefixed name ("tns:GUIDType", "xs:string") in s.
func (s *schema) qname(v string) (xml.Name, error) {
	prefix, local, ok := strings.Cut(v, ":")
	if !ok {
		// No prefix: no default namespace is declared in these schemas, so
		// an unprefixed reference is in no namespace; treat as error.
		return xml.Name{}, fmt.Errorf("%s: unprefixed QName %q", s.file, v)
	}
	ns, ok := s.prefixes[prefix]
	if !ok {
		return xml.Name{}, fmt.Errorf("%s: undeclared prefix in %q", s.file, v)
	}
	return xml.Name{Space: ns, Local: local}, nil
}

// decl is a global declaration and the schema it lives in.
type decl struct {
	s *schema
	n *node
}

// schemaSet holds every schema reachable from the WSDLs, and their global
// declarations keyed by qualified name.
type schemaSet struct {
	root     string
	files    map[string]*schema // by cleaned absolute path
	order    []*schema
	elements map[xml.Name]decl
	types    map[xml.Name]decl // complexType
	simple   map[xml.Name]decl // simpleType
	attrs    map[xml.Name]decl
}

func newSchemaSet(root string) *schemaSet {
	return &schemaSet{
		root: root, files: map[string]*schema{},
		elements: map[xml.Name]decl{}, types: map[xml.Name]decl{},
		simple: map[xml.Name]decl{}, attrs: map[xml.Name]decl{},
	}
}

// load reads an XSD file and, recursively, the files it imports.
func (ss *schemaSet) load(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return err
	}
	if _, ok := ss.files[abs]; ok {
		return nil
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	root, err := parseTree(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	rel, _ := filepath.Rel(ss.root, abs)
	s := &schema{file: filepath.ToSlash(rel), ns: root.attr("targetNamespace"), prefixes: map[string]string{}, root: root}
	for k, v := range root.attrs {
		if p, ok := strings.CutPrefix(k, "xmlns:"); ok {
			s.prefixes[p] = v
		}
	}
	ss.files[abs] = s
	for _, imp := range root.kids("import", "include") {
		loc := imp.attr("schemaLocation")
		if loc == "" {
			return fmt.Errorf("%s: import of %q without schemaLocation", s.file, imp.attr("namespace"))
		}
		if err := ss.load(filepath.Join(filepath.Dir(abs), loc)); err != nil {
			return err
		}
	}
	ss.order = append(ss.order, s)
	for _, c := range root.children {
		if c.name.Space != nsXSD {
			continue
		}
		name := xml.Name{Space: s.ns, Local: c.attr("name")}
		d := decl{s, c}
		switch c.name.Local {
		case "element":
			ss.elements[name] = d
		case "complexType":
			ss.types[name] = d
		case "simpleType":
			ss.simple[name] = d
		case "attribute":
			ss.attrs[name] = d
		}
	}
	return nil
}
