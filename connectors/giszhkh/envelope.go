package giszhkh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/canon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/base"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xades"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// NSSoap is the SOAP 1.1 envelope namespace.
const NSSoap = "http://schemas.xmlsoap.org/soap/envelope/"

// SignedID is the Id of every signed request body, as all GIS clients use.
const SignedID = "signed-data-container"

// dateTimeLayout is xs:dateTime with milliseconds and offset.
const dateTimeLayout = "2006-01-02T15:04:05.000-07:00"

// Request is one built SOAP message, ready to send.
type Request struct {
	Operation   OperationInfo
	MessageGUID string // our header MessageGUID
	Envelope    []byte
	// TransportGUIDs lists the item TransportGUIDs in the message, in order.
	TransportGUIDs []string
}

// Builder builds and signs request envelopes. It is safe for concurrent use.
type Builder struct {
	signer  *xades.Signer
	now     func() time.Time
	newGUID func() string
}

// BuilderOptions configures NewBuilder. Zero values use the real clock and
// random UUIDs.
type BuilderOptions struct {
	Now     func() time.Time
	NewGUID func() string
}

// NewBuilder returns a Builder signing with key; hash computes the digests.
func NewBuilder(ctx context.Context, key gost.Signer, hash gost.Hasher, opts BuilderOptions) (*Builder, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NewGUID == nil {
		opts.NewGUID = uuid.NewString
	}
	s, err := xades.NewSigner(ctx, key, hash, xades.Options{Now: opts.Now, NewID: opts.NewGUID})
	if err != nil {
		return nil, err
	}
	return &Builder{signer: s, now: opts.Now, newGUID: opts.NewGUID}, nil
}

// NewGUID returns a fresh GUID (for TransportGUIDs).
func (b *Builder) NewGUID() string { return b.newGUID() }

// build wraps body in a SOAP envelope with the operation's header, signs the
// body and returns the message. org is the orgPPAGUID for RequestHeader
// operations (ignored for ISRequestHeader ones).
func (b *Builder) build(ctx context.Context, s Service, op string, org string, body any, transport []string) (*Request, error) {
	info, err := LookupOperation(s, op)
	if err != nil {
		return nil, err
	}
	msgGUID := b.newGUID()
	hdr, err := b.header(info, org, msgGUID)
	if err != nil {
		return nil, err
	}
	// The body is written directly in exclusive canonical form, so it is
	// hashed as written; the signature goes in after its start tag.
	bodyBuf := bodyBufs.Get().(*bytes.Buffer)
	defer bodyBufs.Put(bodyBuf)
	bodyBuf.Reset()
	bodyBuf.Grow(sizeHint * max(len(transport), 1))
	bw := canon.New(bodyBuf, prefixes)
	if err := bw.Element(body); err != nil {
		return nil, fmt.Errorf("giszhkh: %s: %w", op, err)
	}
	inScope := map[string]string{"soapenv": NSSoap}
	for p, u := range bw.RootDeclarations() {
		inScope[p] = u
	}
	sig, err := b.signer.SignCanonical(ctx, SignedID, bodyBuf.Bytes(), inScope)
	if err != nil {
		return nil, fmt.Errorf("giszhkh: %s: %w", op, err)
	}
	var env bytes.Buffer
	env.Grow(bodyBuf.Len() + len(sig) + 1024)
	if err := envelopeHead(&env, hdr); err != nil {
		return nil, fmt.Errorf("giszhkh: %s: %w", op, err)
	}
	n := bw.RootStartTagLen()
	env.Write(bodyBuf.Bytes()[:n])
	env.Write(sig)
	env.Write(bodyBuf.Bytes()[n:])
	env.WriteString(envelopeTail)
	return &Request{Operation: info, MessageGUID: msgGUID, Envelope: env.Bytes(), TransportGUIDs: transport}, nil
}

func (b *Builder) header(info OperationInfo, org, msgGUID string) (any, error) {
	h := base.HeaderType{Date: b.now().Format(dateTimeLayout), MessageGUID: base.GUIDType(msgGUID)}
	if info.Header == "ISRequestHeader" {
		return base.ISRequestHeader{HeaderType: h}, nil
	}
	if org == "" {
		return nil, fmt.Errorf("giszhkh: %s needs the organisation's orgPPAGUID", info.Name)
	}
	yes := true
	// The settlement centre signs as IS operator for the organisation.
	return base.RequestHeader{HeaderType: h, OrgPPAGUID: base.GUIDType(org), IsOperatorSignature: &yes}, nil
}

// GetState builds the (unsigned) getState request for GIS's message id ack.
func (b *Builder) GetState(s Service, org, ack string) (*Request, error) {
	info, err := LookupOperation(s, OpGetState)
	if err != nil {
		return nil, err
	}
	msgGUID := b.newGUID()
	hdr, err := b.header(info, org, msgGUID)
	if err != nil {
		return nil, err
	}
	env, err := marshalEnvelope(hdr, base.GetStateRequest{MessageGUID: base.GUIDType(ack)})
	if err != nil {
		return nil, fmt.Errorf("giszhkh: getState: %w", err)
	}
	return &Request{Operation: info, MessageGUID: msgGUID, Envelope: env}, nil
}

// prefixes are the namespace prefixes written in our messages.
var prefixes = canon.Prefixes{
	"http://dom.gosuslugi.ru/schema/integration/house-management/": "hm",
	"http://dom.gosuslugi.ru/schema/integration/device-metering/":  "dm",
	"http://dom.gosuslugi.ru/schema/integration/bills/":            "b",
	"http://dom.gosuslugi.ru/schema/integration/payment/":          "pm",
	"http://www.w3.org/2000/09/xmldsig#":                           "ds",
}

// bodyBufs recycles body buffers: a 500-document body is over a megabyte,
// and zeroing a fresh one for every message cost a tenth of the build. The
// body is only read while the envelope is assembled, which copies it.
var bodyBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// sizeHint is a generous guess of canonical bytes per item, to size buffers
// once instead of growing them through a megabyte.
const sizeHint = 4096

const envelopeTail = `</soapenv:Body></soapenv:Envelope>`

func envelopeHead(buf *bytes.Buffer, header any) error {
	buf.WriteString(`<soapenv:Envelope xmlns:soapenv="` + NSSoap + `"><soapenv:Header>`)
	if err := canon.New(buf, prefixes).Element(header); err != nil {
		return fmt.Errorf("header: %w", err)
	}
	buf.WriteString(`</soapenv:Header><soapenv:Body>`)
	return nil
}

func marshalEnvelope(header, body any) ([]byte, error) {
	var buf bytes.Buffer
	if err := envelopeHead(&buf, header); err != nil {
		return nil, err
	}
	if err := canon.New(&buf, prefixes).Element(body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	buf.WriteString(envelopeTail)
	return buf.Bytes(), nil
}

// BodyElement returns the single child element of the SOAP Body.
func BodyElement(doc *etree.Document) (*etree.Element, error) {
	root := doc.Root()
	if root == nil || root.Tag != "Envelope" || root.NamespaceURI() != NSSoap {
		return nil, errors.New("giszhkh: not a SOAP 1.1 envelope")
	}
	var body *etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "Body" && c.NamespaceURI() == NSSoap {
			body = c
		}
	}
	if body == nil {
		return nil, errors.New("giszhkh: SOAP envelope has no Body")
	}
	kids := body.ChildElements()
	if len(kids) != 1 {
		return nil, fmt.Errorf("giszhkh: SOAP Body has %d child elements, want 1", len(kids))
	}
	return kids[0], nil
}

// HeaderElement returns the first child element of the SOAP Header, or nil.
func HeaderElement(doc *etree.Document) *etree.Element {
	root := doc.Root()
	if root == nil {
		return nil
	}
	for _, c := range root.ChildElements() {
		if c.Tag == "Header" && c.NamespaceURI() == NSSoap {
			if kids := c.ChildElements(); len(kids) > 0 {
				return kids[0]
			}
		}
	}
	return nil
}
