package giszhkh

import (
	"context"
	"errors"
	"fmt"

	"github.com/beevik/etree"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xades"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// ErrAnswerSignature is wrapped by GetState errors that mean GIS's signature
// on an answer is missing or does not verify against the pinned
// certificates: the answer is refused, nothing of it is applied.
var ErrAnswerSignature = errors.New("giszhkh: answer signature")

// AnswerVerifier checks the enveloped XAdES signature GIS ZhKH puts on its
// getStateResult answers, against GIS's certificates pinned in the
// configuration (like ESIA's). It is safe for concurrent use.
type AnswerVerifier struct {
	v *xades.Verifier
}

// NewAnswerVerifier accepts answers signed with one of trusted.
func NewAnswerVerifier(check gost.Verifier, hash gost.Hasher, trusted ...*gost.Certificate) (*AnswerVerifier, error) {
	if len(trusted) == 0 {
		return nil, errors.New("giszhkh: answer verifier needs at least one GIS certificate")
	}
	return &AnswerVerifier{v: xades.NewVerifier(check, hash, trusted...)}, nil
}

// Verify checks the signature of the answer's body element. A SOAP fault is
// not signed and passes: its decoder reports it.
func (a *AnswerVerifier) Verify(ctx context.Context, answer []byte) error {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(answer); err != nil {
		return fmt.Errorf("%w: answer is not XML: %v", ErrAnswerSignature, err)
	}
	body, err := BodyElement(doc)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrAnswerSignature, err)
	}
	if body.Space != "" && body.NamespaceURI() == NSSoap && body.Tag == "Fault" {
		return nil
	}
	if _, err := a.v.VerifyElement(ctx, body); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrAnswerSignature, body.Tag, err)
	}
	return nil
}
