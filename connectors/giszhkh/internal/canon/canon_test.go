package canon_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/canon"
)

type inner struct {
	Ref   string  `xml:"urn:b Ref"`
	Opt   *bool   `xml:"urn:a Opt,omitempty"`
	Count int64   `xml:"urn:a Count"`
	Value *string `xml:"urn:b Value,omitempty"`
}

type base struct {
	ID string `xml:"Id,attr,omitempty"`
}

type root struct {
	XMLName xml.Name `xml:"urn:a Root"`
	base
	Version string  `xml:"urn:b version,attr"`
	Z       string  `xml:"z,attr"`
	Items   []inner `xml:"urn:a Item"`
	Text    string  `xml:"urn:a Text,omitempty"`
	Empty   string  `xml:"urn:a Empty"`
}

func write(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := canon.New(&b, canon.Prefixes{"urn:a": "a", "urn:b": "b"}).Element(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestCanonicalForm(t *testing.T) {
	yes := true
	v := "x"
	got := write(t, root{base: base{ID: "id1"}, Version: "1.0", Z: `q"<&>` + "\t\n",
		Items: []inner{{Ref: "r1", Opt: &yes, Count: 3}, {Ref: "r2", Value: &v}}, Text: "a < b & c > d"})
	want := `<a:Root xmlns:a="urn:a" xmlns:b="urn:b" Id="id1" z="q&quot;&lt;&amp;>&#x9;&#xA;" b:version="1.0">` +
		`<a:Item><b:Ref>r1</b:Ref><a:Opt>true</a:Opt><a:Count>3</a:Count></a:Item>` +
		`<a:Item><b:Ref>r2</b:Ref><a:Count>0</a:Count><b:Value>x</b:Value></a:Item>` +
		`<a:Text>a &lt; b &amp; c &gt; d</a:Text><a:Empty></a:Empty></a:Root>`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	// What we write is a fixed point of goxmldsig's exclusive C14N.
	doc := etree.NewDocument()
	if err := doc.ReadFromString(got); err != nil {
		t.Fatal(err)
	}
	c, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	if string(c) != got {
		t.Errorf("not canonical:\n ours %s\n c14n %s", got, c)
	}
}

func TestNamespaceDeclaredPerSubtree(t *testing.T) {
	type leaf struct {
		X string `xml:"urn:c X"`
	}
	type tree struct {
		XMLName xml.Name `xml:"urn:a T"`
		L       []leaf   `xml:"urn:a L"`
	}
	got := write(t, tree{L: []leaf{{X: "1"}, {X: "2"}}})
	// Exclusive C14N declares urn:c in each sibling subtree that uses it.
	if strings.Count(got, `xmlns:c="urn:c"`) != 2 {
		t.Errorf("urn:c declarations: %s", got)
	}
}

func TestRejectsWhatXMLCannotCarry(t *testing.T) {
	for _, bad := range []string{"a\x01b", "carriage\rreturn", "bad\xffutf8"} {
		var b bytes.Buffer
		err := canon.New(&b, nil).Element(root{Text: bad})
		if err == nil || !strings.Contains(err.Error(), "Root/Text") {
			t.Errorf("%q: error %v, want one naming Root/Text", bad, err)
		}
	}
	var b bytes.Buffer
	if err := canon.New(&b, nil).Element(struct{ A string }{"x"}); err == nil {
		t.Error("a struct without XMLName was written")
	}
}

// FuzzFixedPoint: for any text, what we write parses back and is already
// canonical, or we refuse it with an error.
func FuzzFixedPoint(f *testing.F) {
	for _, s := range []string{"", "plain", `q"<&>'`, "tab\tnl\n", "юникод €", "]]>", "\u2028"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, text, attr string) {
		var b bytes.Buffer
		if err := canon.New(&b, canon.Prefixes{"urn:a": "a", "urn:b": "b"}).Element(root{Text: text, Z: attr, Version: "v"}); err != nil {
			return
		}
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b.Bytes()); err != nil {
			t.Fatalf("output does not parse: %v\n%s", err, b.Bytes())
		}
		c, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(doc.Root())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c, b.Bytes()) {
			t.Fatalf("not canonical:\n ours %q\n c14n %q", b.Bytes(), c)
		}
	})
}
