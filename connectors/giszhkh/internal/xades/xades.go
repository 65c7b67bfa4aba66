// Package xades makes and checks the enveloped XAdES-BES signatures GIS ZhKH
// requires on request bodies: GOST R 34.10-2012 / 34.11-2012 (256 bit), the
// signature inserted as the first child of the signed element (identified by
// its Id attribute), exclusive C14N of the signed element, inclusive C14N 1.0
// of SignedInfo and SignedProperties, and SignedProperties carrying only
// SigningTime and SigningCertificate (plain BES: GIS's validator rejects
// policies, roles and timestamps).
//
// XML handling uses etree; canonicalization uses goxmldsig's canonicalizers.
// Crypto goes through internal/gost: one DigestEach call hashes both
// references, one Sign call signs SignedInfo.
package xades

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Algorithm and namespace URIs.
const (
	NSDSig               = "http://www.w3.org/2000/09/xmldsig#"
	NSXAdES              = "http://uri.etsi.org/01903/v1.3.2#"
	AlgC14N              = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	AlgExcC14N           = "http://www.w3.org/2001/10/xml-exc-c14n#"
	AlgEnveloped         = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	AlgSignature         = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256"
	AlgDigest            = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256"
	TypeSignedProperties = "http://uri.etsi.org/01903#SignedProperties"
)

// ErrInvalid is wrapped by every Verify error that means "the signature is
// not acceptable" (as opposed to "could not check").
var ErrInvalid = errors.New("xades: invalid signature")

// Signer signs request bodies. It is safe for concurrent use.
type Signer struct {
	key        gost.Signer
	hash       gost.Hasher
	certDigest gost.Digest
	certB64    string
	now        func() time.Time
	newID      func() string
}

// Options configures NewSigner; zero values use the real clock and random
// UUIDs for signature ids.
type Options struct {
	Now   func() time.Time
	NewID func() string
}

// NewSigner prepares a Signer: it hashes the certificate once for the
// SigningCertificate property.
func NewSigner(ctx context.Context, key gost.Signer, hash gost.Hasher, opts Options) (*Signer, error) {
	now, newID := opts.Now, opts.NewID
	if now == nil {
		now = time.Now
	}
	if newID == nil {
		newID = uuid.NewString
	}
	cert := key.Certificate()
	d, err := hash.Digest(ctx, cert.DER())
	if err != nil {
		return nil, fmt.Errorf("xades: certificate digest: %w", err)
	}
	return &Signer{key: key, hash: hash, certDigest: d, certB64: base64.StdEncoding.EncodeToString(cert.DER()), now: now, newID: newID}, nil
}

// SignElement inserts an enveloped XAdES-BES signature as the first child of
// el, which must carry an Id attribute and belong to a document (it may be
// the root). The canonical forms are computed in el's document context, so
// el must not be moved to another parent afterwards.
func (s *Signer) SignElement(ctx context.Context, el *etree.Element) error {
	id := el.SelectAttrValue("Id", "")
	if id == "" {
		return errors.New("xades: signed element has no Id attribute")
	}
	bodyC14N, err := excC14N(el, nil)
	if err != nil {
		return fmt.Errorf("xades: canonicalize signed element: %w", err)
	}
	sig := s.template(id, "xmldsig-"+s.newID())
	el.InsertChildAt(0, sig)
	if err := s.fill(ctx, sig, bodyC14N); err != nil {
		el.RemoveChild(sig)
		return err
	}
	return nil
}

// SignCanonical returns the serialized ds:Signature for an element with Id
// refID whose exclusive canonical form (without the signature) is c14n. The
// caller inserts it as the element's first child. inScope lists the
// namespace declarations (prefix → URI) in scope at that position — those of
// the element itself and its ancestors — because the inclusive C14N of
// SignedInfo and SignedProperties includes them.
func (s *Signer) SignCanonical(ctx context.Context, refID string, c14n []byte, inScope map[string]string) ([]byte, error) {
	holder := etree.NewElement("holder")
	for p, u := range inScope {
		if p == "" {
			holder.CreateAttr("xmlns", u)
		} else {
			holder.CreateAttr("xmlns:"+p, u)
		}
	}
	sig := s.template(refID, "xmldsig-"+s.newID())
	holder.AddChild(sig)
	if err := s.fill(ctx, sig, c14n); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	doc.SetRoot(sig)
	out, err := doc.WriteToBytes()
	if err != nil {
		return nil, fmt.Errorf("xades: write signature: %w", err)
	}
	return out, nil
}

// fill computes the digests and the signature value of a template already
// placed in its document context.
func (s *Signer) fill(ctx context.Context, sig *etree.Element, bodyC14N []byte) error {
	props := findPath(sig, "Object", "QualifyingProperties", "SignedProperties")
	propsC14N, err := incC14N(props)
	if err != nil {
		return fmt.Errorf("xades: canonicalize SignedProperties: %w", err)
	}
	digests, err := s.hash.DigestEach(ctx, bodyC14N, propsC14N)
	if err != nil {
		return fmt.Errorf("xades: digest: %w", err)
	}
	signedInfo := findPath(sig, "SignedInfo")
	refs := children(signedInfo, "Reference")
	findPath(refs[0], "DigestValue").SetText(base64.StdEncoding.EncodeToString(digests[0][:]))
	findPath(refs[1], "DigestValue").SetText(base64.StdEncoding.EncodeToString(digests[1][:]))
	siC14N, err := incC14N(signedInfo)
	if err != nil {
		return fmt.Errorf("xades: canonicalize SignedInfo: %w", err)
	}
	value, err := s.key.Sign(ctx, siC14N)
	if err != nil {
		return fmt.Errorf("xades: sign: %w", err)
	}
	findPath(sig, "SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	return nil
}

// template builds the ds:Signature element with empty digest and signature
// values, in the element order GIS's validator expects.
func (s *Signer) template(refID, sigID string) *etree.Element {
	cert := s.key.Certificate()
	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", NSDSig)
	sig.CreateAttr("Id", sigID)

	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", AlgC14N)
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", AlgSignature)

	r0 := si.CreateElement("ds:Reference")
	r0.CreateAttr("Id", sigID+"-ref0")
	r0.CreateAttr("URI", "#"+refID)
	tr := r0.CreateElement("ds:Transforms")
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", AlgEnveloped)
	tr.CreateElement("ds:Transform").CreateAttr("Algorithm", AlgExcC14N)
	r0.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgDigest)
	r0.CreateElement("ds:DigestValue")

	r1 := si.CreateElement("ds:Reference")
	r1.CreateAttr("Type", TypeSignedProperties)
	r1.CreateAttr("URI", "#"+sigID+"-signedprops")
	r1.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgDigest)
	r1.CreateElement("ds:DigestValue")

	sv := sig.CreateElement("ds:SignatureValue")
	sv.CreateAttr("Id", sigID+"-sigvalue")

	sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").SetText(s.certB64)

	qp := sig.CreateElement("ds:Object").CreateElement("xades:QualifyingProperties")
	qp.CreateAttr("xmlns:xades", NSXAdES)
	qp.CreateAttr("Target", "#"+sigID)
	sp := qp.CreateElement("xades:SignedProperties")
	sp.CreateAttr("Id", sigID+"-signedprops")
	ssp := sp.CreateElement("xades:SignedSignatureProperties")
	ssp.CreateElement("xades:SigningTime").SetText(s.now().Format("2006-01-02T15:04:05.000-07:00"))
	c := ssp.CreateElement("xades:SigningCertificate").CreateElement("xades:Cert")
	cd := c.CreateElement("xades:CertDigest")
	cd.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", AlgDigest)
	cd.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(s.certDigest[:]))
	is := c.CreateElement("xades:IssuerSerial")
	is.CreateElement("ds:X509IssuerName").SetText(cert.IssuerName())
	is.CreateElement("ds:X509SerialNumber").SetText(cert.SerialNumber().String())
	return sig
}

// Result describes a verified signature.
type Result struct {
	Certificate *gost.Certificate
	SigningTime time.Time
}

// Verifier checks signatures against a fixed set of trusted certificates.
type Verifier struct {
	check   gost.Verifier
	hash    gost.Hasher
	trusted []*gost.Certificate
}

// NewVerifier returns a Verifier that accepts signatures made with one of the
// trusted certificates (compared byte for byte).
func NewVerifier(check gost.Verifier, hash gost.Hasher, trusted ...*gost.Certificate) *Verifier {
	return &Verifier{check: check, hash: hash, trusted: trusted}
}

// VerifyElement checks the enveloped signature that is the first child
// element of el. Errors wrapping ErrInvalid name what is wrong.
func (v *Verifier) VerifyElement(ctx context.Context, el *etree.Element) (Result, error) {
	var res Result
	kids := el.ChildElements()
	if len(kids) == 0 || kids[0].Tag != "Signature" || kids[0].NamespaceURI() != NSDSig {
		return res, fmt.Errorf("%w: element %s has no ds:Signature as first child", ErrInvalid, el.Tag)
	}
	sig := kids[0]
	if n := len(childrenNS(el, NSDSig, "Signature")); n != 1 {
		return res, fmt.Errorf("%w: element %s has %d ds:Signature children, want 1", ErrInvalid, el.Tag, n)
	}
	id := el.SelectAttrValue("Id", "")
	sigID := sig.SelectAttrValue("Id", "")
	si := findPath(sig, "SignedInfo")
	if si == nil {
		return res, fmt.Errorf("%w: no SignedInfo", ErrInvalid)
	}
	if a := attrOf(findPath(si, "CanonicalizationMethod"), "Algorithm"); a != AlgC14N {
		return res, fmt.Errorf("%w: CanonicalizationMethod %q, want %q", ErrInvalid, a, AlgC14N)
	}
	if a := attrOf(findPath(si, "SignatureMethod"), "Algorithm"); a != AlgSignature {
		return res, fmt.Errorf("%w: SignatureMethod %q, want %q", ErrInvalid, a, AlgSignature)
	}
	refs := children(si, "Reference")
	if len(refs) != 2 {
		return res, fmt.Errorf("%w: SignedInfo has %d references, want 2", ErrInvalid, len(refs))
	}
	if id == "" || attrOf(refs[0], "URI") != "#"+id {
		return res, fmt.Errorf("%w: first reference URI %q does not point at the signed element (Id %q)", ErrInvalid, attrOf(refs[0], "URI"), id)
	}
	var transforms []string
	for _, t := range children(findPath(refs[0], "Transforms"), "Transform") {
		transforms = append(transforms, attrOf(t, "Algorithm"))
	}
	if strings.Join(transforms, " ") != AlgEnveloped+" "+AlgExcC14N {
		return res, fmt.Errorf("%w: first reference transforms %v, want enveloped-signature then exc-c14n", ErrInvalid, transforms)
	}
	props := findPath(sig, "Object", "QualifyingProperties", "SignedProperties")
	if props == nil || attrOf(refs[1], "Type") != TypeSignedProperties || attrOf(refs[1], "URI") != "#"+attrOf(props, "Id") {
		return res, fmt.Errorf("%w: second reference does not point at xades:SignedProperties", ErrInvalid)
	}
	if q := findPath(sig, "Object", "QualifyingProperties"); attrOf(q, "Target") != "#"+sigID {
		return res, fmt.Errorf("%w: QualifyingProperties Target %q, want #%s", ErrInvalid, attrOf(q, "Target"), sigID)
	}
	for i, r := range refs {
		if a := attrOf(findPath(r, "DigestMethod"), "Algorithm"); a != AlgDigest {
			return res, fmt.Errorf("%w: reference %d DigestMethod %q, want %q", ErrInvalid, i, a, AlgDigest)
		}
	}

	certEl := findPath(sig, "KeyInfo", "X509Data", "X509Certificate")
	if certEl == nil {
		return res, fmt.Errorf("%w: no KeyInfo/X509Data/X509Certificate", ErrInvalid)
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(certEl.Text()), ""))
	if err != nil {
		return res, fmt.Errorf("%w: X509Certificate is not base64: %v", ErrInvalid, err)
	}
	cert := v.trustedCert(der)
	if cert == nil {
		return res, fmt.Errorf("%w: signing certificate is not among the trusted certificates", ErrInvalid)
	}
	res.Certificate = cert

	bodyC14N, err := excC14N(el, sig)
	if err != nil {
		return res, fmt.Errorf("xades: canonicalize signed element: %w", err)
	}
	propsC14N, err := incC14N(props)
	if err != nil {
		return res, fmt.Errorf("xades: canonicalize SignedProperties: %w", err)
	}
	digests, err := v.hash.DigestEach(ctx, bodyC14N, propsC14N, cert.DER())
	if err != nil {
		return res, fmt.Errorf("xades: digest: %w", err)
	}
	for i, r := range refs {
		if err := equalB64(findPath(r, "DigestValue"), digests[i]); err != nil {
			return res, fmt.Errorf("%w: reference %d digest: %v", ErrInvalid, i, err)
		}
	}
	cd := findPath(props, "SignedSignatureProperties", "SigningCertificate", "Cert")
	if cd == nil {
		return res, fmt.Errorf("%w: no SigningCertificate/Cert", ErrInvalid)
	}
	if err := equalB64(findPath(cd, "CertDigest", "DigestValue"), digests[2]); err != nil {
		return res, fmt.Errorf("%w: SigningCertificate digest: %v", ErrInvalid, err)
	}
	if got := strings.TrimSpace(findPath(cd, "IssuerSerial", "X509SerialNumber").Text()); got != cert.SerialNumber().String() {
		return res, fmt.Errorf("%w: SigningCertificate serial %s, certificate has %s", ErrInvalid, got, cert.SerialNumber())
	}
	if t := findPath(props, "SignedSignatureProperties", "SigningTime"); t != nil {
		res.SigningTime, _ = time.Parse(time.RFC3339Nano, strings.TrimSpace(t.Text()))
	}

	siC14N, err := incC14N(si)
	if err != nil {
		return res, fmt.Errorf("xades: canonicalize SignedInfo: %w", err)
	}
	value, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(findPath(sig, "SignatureValue").Text()), ""))
	if err != nil {
		return res, fmt.Errorf("%w: SignatureValue is not base64: %v", ErrInvalid, err)
	}
	if err := v.check.Verify(ctx, cert, siC14N, value); err != nil {
		if errors.Is(err, gost.ErrBadSignature) {
			return res, fmt.Errorf("%w: SignatureValue does not match SignedInfo: %v", ErrInvalid, err)
		}
		return res, fmt.Errorf("xades: verify: %w", err)
	}
	return res, nil
}

func (v *Verifier) trustedCert(der []byte) *gost.Certificate {
	for _, c := range v.trusted {
		if bytes.Equal(c.DER(), der) {
			return c
		}
	}
	return nil
}

func equalB64(el *etree.Element, want gost.Digest) error {
	if el == nil {
		return errors.New("no DigestValue")
	}
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(el.Text()))
	if err != nil {
		return fmt.Errorf("DigestValue is not base64: %v", err)
	}
	if subtle.ConstantTimeCompare(got, want[:]) != 1 {
		return errors.New("does not match the content")
	}
	return nil
}

// excC14N returns the exclusive canonical form of el in its document context,
// leaving out the child skip (the enveloped signature) if not nil.
func excC14N(el, skip *etree.Element) ([]byte, error) {
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		return nil, err
	}
	cp := el.Copy()
	if skip != nil {
		cp.RemoveChildAt(skip.Index())
	}
	// Declare the inherited namespaces on the copy; exclusive C14N then
	// keeps only the visibly utilised ones. (etreeutils.NSDetatch would do
	// this but refuses subtrees over 1000 elements.)
	declared := map[string]bool{}
	for _, a := range cp.Attr {
		if a.Space == "xmlns" {
			declared[a.Key] = true
		} else if a.Space == "" && a.Key == "xmlns" {
			declared[""] = true
		}
	}
	for prefix, ns := range ctx.Prefixes() {
		if declared[prefix] || prefix == "xml" || prefix == "xmlns" || (prefix == "" && ns == etreeutils.XMLNamespace) {
			continue
		}
		if prefix == "" {
			cp.CreateAttr("xmlns", ns)
		} else {
			cp.CreateAttr("xmlns:"+prefix, ns)
		}
	}
	return dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(cp)
}

// incC14N returns the inclusive C14N 1.0 form of el in its document context.
func incC14N(el *etree.Element) ([]byte, error) {
	return dsig.MakeC14N10RecCanonicalizer().Canonicalize(el)
}

// findPath walks down local names, ignoring prefixes (namespace checks are
// done where they matter).
func findPath(el *etree.Element, path ...string) *etree.Element {
	for _, p := range path {
		if el == nil {
			return nil
		}
		var next *etree.Element
		for _, c := range el.ChildElements() {
			if c.Tag == p {
				next = c
				break
			}
		}
		el = next
	}
	return el
}

func children(el *etree.Element, tag string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			out = append(out, c)
		}
	}
	return out
}

func childrenNS(el *etree.Element, ns, tag string) []*etree.Element {
	var out []*etree.Element
	for _, c := range children(el, tag) {
		if c.NamespaceURI() == ns {
			out = append(out, c)
		}
	}
	return out
}

func attrOf(el *etree.Element, key string) string {
	if el == nil {
		return ""
	}
	return el.SelectAttrValue(key, "")
}
