package esia

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// Token subject types ("sbt" header) ESIA puts on its JWTs.
const (
	SubjectID     = "id"
	SubjectAccess = "access"
)

// Identity is who logged in, as proven by a verified id_token.
type Identity struct {
	// OID is the person's ESIA object id (the numeric `sub`).
	OID int64
	// SessionID is urn:esia:sid, ESIA's login session.
	SessionID string
	// Trusted tells whether the ESIA account is confirmed (urn:esia:sbj:is_tru).
	Trusted bool
	// AuthTime is when the person authenticated at ESIA.
	AuthTime time.Time
	// Expiry is the id_token's expiry.
	Expiry time.Time
}

// AccessClaims are the verified claims of an access token.
type AccessClaims struct {
	// OID is urn:esia:sbj_id, the person the token acts for.
	OID int64
	// ClientID is the system the token was issued to.
	ClientID string
	// Scopes are the granted scopes without their "?oid=N" parameter.
	Scopes []string
	// SessionID is urn:esia:sid.
	SessionID string
	// Expiry is the token's expiry.
	Expiry time.Time
}

// HasScope reports whether scope s was granted.
func (a AccessClaims) HasScope(s string) bool {
	for _, x := range a.Scopes {
		if x == s {
			return true
		}
	}
	return false
}

// Verifier checks ESIA id and access tokens: signature against pinned certificates, exact
// issuer, audience (id token) or client_id (access token), expiry, and the token kind.
type Verifier struct {
	id       *oidc.IDTokenVerifier
	access   *oidc.IDTokenVerifier
	clientID string
}

// NewVerifier returns a verifier for tokens issued by issuer (e.g. "http://esia.gosuslugi.ru/",
// compared exactly) to clientID.
func NewVerifier(issuer, clientID string, keys *KeySet, now func() time.Time) *Verifier {
	algs := []string{AlgGOST, AlgRS256}
	return &Verifier{
		id: oidc.NewVerifier(issuer, keys, &oidc.Config{
			ClientID: clientID, SupportedSigningAlgs: algs, Now: now,
		}),
		// Access tokens carry no aud; the client_id claim is checked below instead.
		access: oidc.NewVerifier(issuer, keys, &oidc.Config{
			SkipClientIDCheck: true, SupportedSigningAlgs: algs, Now: now,
		}),
		clientID: clientID,
	}
}

type idClaims struct {
	Sid      string `json:"urn:esia:sid"`
	AuthTime int64  `json:"auth_time"`
	Sbj      struct {
		Typ   string      `json:"urn:esia:sbj:typ"`
		OID   json.Number `json:"urn:esia:sbj:oid"`
		IsTru bool        `json:"urn:esia:sbj:is_tru"`
	} `json:"urn:esia:sbj"`
}

// VerifyIDToken verifies an id_token and returns the identity it proves.
func (v *Verifier) VerifyIDToken(ctx context.Context, raw string) (Identity, error) {
	if err := checkSubject(raw, SubjectID); err != nil {
		return Identity{}, err
	}
	t, err := v.id.Verify(ctx, raw)
	if err != nil {
		return Identity{}, fmt.Errorf("esia: id_token: %w", err)
	}
	oid, err := strconv.ParseInt(t.Subject, 10, 64)
	if err != nil || oid <= 0 {
		return Identity{}, fmt.Errorf("esia: id_token sub %q is not a positive oid", t.Subject)
	}
	var c idClaims
	if err := t.Claims(&c); err != nil {
		return Identity{}, fmt.Errorf("esia: id_token claims: %w", err)
	}
	if c.Sbj.OID != "" && c.Sbj.OID.String() != t.Subject {
		return Identity{}, fmt.Errorf("esia: id_token urn:esia:sbj:oid %s differs from sub %s", c.Sbj.OID, t.Subject)
	}
	if c.Sbj.Typ != "" && c.Sbj.Typ != "P" {
		return Identity{}, fmt.Errorf("esia: id_token subject type %q is not a person (P)", c.Sbj.Typ)
	}
	id := Identity{OID: oid, SessionID: c.Sid, Trusted: c.Sbj.IsTru, Expiry: t.Expiry}
	if c.AuthTime > 0 {
		id.AuthTime = time.Unix(c.AuthTime, 0)
	}
	return id, nil
}

type accessClaims struct {
	Scope    string      `json:"scope"`
	ClientID string      `json:"client_id"`
	SbjID    json.Number `json:"urn:esia:sbj_id"`
	Sid      string      `json:"urn:esia:sid"`
}

// VerifyAccessToken verifies an access token issued to this client.
func (v *Verifier) VerifyAccessToken(ctx context.Context, raw string) (AccessClaims, error) {
	if err := checkSubject(raw, SubjectAccess); err != nil {
		return AccessClaims{}, err
	}
	t, err := v.access.Verify(ctx, raw)
	if err != nil {
		return AccessClaims{}, fmt.Errorf("esia: access_token: %w", err)
	}
	var c accessClaims
	if err := t.Claims(&c); err != nil {
		return AccessClaims{}, fmt.Errorf("esia: access_token claims: %w", err)
	}
	if c.ClientID != v.clientID {
		return AccessClaims{}, fmt.Errorf("esia: access_token issued to %q, not to %q", c.ClientID, v.clientID)
	}
	oid, err := c.SbjID.Int64()
	if err != nil || oid <= 0 {
		return AccessClaims{}, fmt.Errorf("esia: access_token urn:esia:sbj_id %q is not a positive oid", c.SbjID)
	}
	a := AccessClaims{OID: oid, ClientID: c.ClientID, SessionID: c.Sid, Expiry: t.Expiry}
	for _, s := range strings.Fields(c.Scope) {
		name, _, _ := strings.Cut(s, "?")
		a.Scopes = append(a.Scopes, name)
	}
	return a, nil
}

// checkSubject rejects a token of the wrong kind (an access token offered as id_token) early,
// with a clear message. The signature is checked afterwards by go-oidc.
func checkSubject(raw, want string) error {
	h, _, _, _, err := splitJWT(raw)
	if err != nil {
		return err
	}
	if h.Sbt != "" && h.Sbt != want {
		return fmt.Errorf("esia: token is a %q token, want %q", h.Sbt, want)
	}
	return nil
}
