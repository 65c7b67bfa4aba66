package esia

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Endpoint paths, identical on the production and test stands.
const (
	PathAuthorize       = "/aas/oauth2/v2/ac"
	PathToken           = "/aas/oauth2/v3/te"
	PathLegacyAuthorize = "/aas/oauth2/ac"
	PathLegacyToken     = "/aas/oauth2/te"
	PathPersons         = "/rs/prns/"
	PathLogout          = "/idp/ext/Logout"
)

// DefaultScopes is the minimal scope set a ЖКХ cabinet needs.
var DefaultScopes = []string{"openid", "fullname", "snils", "email", "mobile"}

// Config describes one registered information system and the ESIA it talks to.
type Config struct {
	// BaseURL is ESIA's address, e.g. "https://esia.gosuslugi.ru" or the test stand
	// "https://esia-portal1.test.gosuslugi.ru".
	BaseURL string
	// Issuer is the exact `iss` of ESIA's tokens, e.g. "http://esia.gosuslugi.ru/" (plain http,
	// trailing slash).
	Issuer string
	// ClientID is the system's mnemonic registered in ESIA.
	ClientID string
	// RedirectURL is the registered callback URL.
	RedirectURL string
	// Scopes requested; DefaultScopes when empty.
	Scopes []string
	// ScopeOrg is the organisation scope; empty for residents.
	ScopeOrg string
	// CertificateHash is client_certificate_hash: Streebog-256 of the registered DER
	// certificate, upper-case hex.
	CertificateHash string
	// ESIACertificates are the pinned ESIA token-signing certificates (past, current, next).
	ESIACertificates []*x509.Certificate
	// Legacy selects the old /ac + /te endpoints with a detached CMS client secret.
	Legacy bool
	// HTTPClient talks to ESIA; it must trust ESIA's TLS chain. A client with a 30-second
	// timeout when nil.
	HTTPClient *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Client runs the ESIA login for one information system.
type Client struct {
	cfg      Config
	oauth    oauth2.Config
	signer   Signer
	cms      CMSSigner
	verifier *Verifier
}

// New checks cfg and returns a client. signer signs client secrets (in the legacy flow it must
// also be a CMSSigner); verifier checks GOST-signed tokens and may be nil if only RSA ESIA
// certificates are pinned.
func New(cfg Config, signer Signer, verifier gost.Verifier) (*Client, error) {
	var missing []string
	for name, v := range map[string]string{"BaseURL": cfg.BaseURL, "Issuer": cfg.Issuer, "ClientID": cfg.ClientID, "RedirectURL": cfg.RedirectURL} {
		if v == "" {
			missing = append(missing, name)
		}
	}
	if !cfg.Legacy && cfg.CertificateHash == "" {
		missing = append(missing, "CertificateHash")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("esia: config misses %s", strings.Join(missing, ", "))
	}
	if signer == nil {
		return nil, errors.New("esia: no signer configured")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	keys, err := NewKeySet(cfg.ESIACertificates, verifier, cfg.Now)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, signer: signer, verifier: NewVerifier(cfg.Issuer, cfg.ClientID, keys, cfg.Now)}
	authPath, tokenPath := PathAuthorize, PathToken
	if cfg.Legacy {
		cms, ok := signer.(CMSSigner)
		if !ok {
			return nil, errors.New("esia: legacy flow needs a signer that can make CMS signatures")
		}
		c.cms = cms
		authPath, tokenPath = PathLegacyAuthorize, PathLegacyToken
	}
	c.oauth = oauth2.Config{
		ClientID: cfg.ClientID,
		// ClientSecret stays empty: the secret is a per-request signature passed as a parameter,
		// and x/oauth2 only sets client_secret itself when it is non-empty.
		Endpoint: oauth2.Endpoint{
			AuthURL:   cfg.BaseURL + authPath,
			TokenURL:  cfg.BaseURL + tokenPath,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: cfg.RedirectURL,
		Scopes:      cfg.Scopes,
	}
	return c, nil
}

// Verifier returns the token verifier.
func (c *Client) Verifier() *Verifier { return c.verifier }

func (c *Client) scope() string { return strings.Join(c.cfg.Scopes, " ") }

// secret signs p the way the configured flow wants it.
func (c *Client) secret(ctx context.Context, p SecretParams) (string, error) {
	if c.cfg.Legacy {
		sig, err := c.cms.SignCMS(ctx, []byte(p.LegacyMessage()))
		if err != nil {
			return "", fmt.Errorf("esia: sign legacy client secret: %w", err)
		}
		return EncodeSecret(sig), nil
	}
	sig, err := c.signer.Sign(ctx, []byte(p.Message()))
	if err != nil {
		return "", fmt.Errorf("esia: sign client secret: %w", err)
	}
	return EncodeSecret(sig), nil
}

func (c *Client) params(p SecretParams, secret string) []oauth2.AuthCodeOption {
	opts := []oauth2.AuthCodeOption{
		oauth2.SetAuthURLParam("timestamp", p.Timestamp),
		oauth2.SetAuthURLParam("client_secret", secret),
	}
	if !c.cfg.Legacy {
		opts = append(opts, oauth2.SetAuthURLParam("client_certificate_hash", c.cfg.CertificateHash))
	}
	if c.cfg.ScopeOrg != "" {
		opts = append(opts, oauth2.SetAuthURLParam("scope_org", c.cfg.ScopeOrg))
	}
	return opts
}

// AuthCodeURL returns the address to send the browser to. state must be a fresh UUID
// ([NewState]) that the caller stores in the browser's session and checks on return with
// [ParseCallback].
func (c *Client) AuthCodeURL(ctx context.Context, state string) (string, error) {
	if !ValidState(state) {
		return "", fmt.Errorf("esia: state %q is not a UUID", state)
	}
	p := SecretParams{
		ClientID: c.cfg.ClientID, Scope: c.scope(), ScopeOrg: c.cfg.ScopeOrg,
		Timestamp: FormatTimestamp(c.cfg.Now()), State: state, RedirectURI: c.cfg.RedirectURL,
	}
	secret, err := c.secret(ctx, p)
	if err != nil {
		return "", err
	}
	opts := append(c.params(p, secret), oauth2.AccessTypeOffline)
	return c.oauth.AuthCodeURL(state, opts...), nil
}

// Login is the result of a successful code exchange.
type Login struct {
	// Token holds the access and refresh tokens; the raw id_token is Token.Extra("id_token").
	Token *oauth2.Token
	// Identity is proven by the verified id_token.
	Identity Identity
	// Access are the verified access token's claims.
	Access AccessClaims
}

// Exchange trades an authorization code for tokens, verifies both tokens and checks they
// speak of the same person.
func (c *Client) Exchange(ctx context.Context, code string) (*Login, error) {
	state := NewState() // the token request carries its own fresh state
	p := SecretParams{
		ClientID: c.cfg.ClientID, Scope: c.scope(), ScopeOrg: c.cfg.ScopeOrg,
		Timestamp: FormatTimestamp(c.cfg.Now()), State: state, RedirectURI: c.cfg.RedirectURL, Code: code,
	}
	if c.cfg.Legacy {
		p.Code = "" // the legacy string does not include the code
	}
	secret, err := c.secret(ctx, p)
	if err != nil {
		return nil, err
	}
	opts := append(c.params(p, secret),
		oauth2.SetAuthURLParam("state", state),
		oauth2.SetAuthURLParam("scope", p.Scope),
		oauth2.SetAuthURLParam("token_type", "Bearer"))
	tok, err := c.oauth.Exchange(c.ctx(ctx), code, opts...)
	if err != nil {
		return nil, tokenError("exchange code", err)
	}
	if got, _ := tok.Extra("state").(string); got != "" && got != state {
		return nil, fmt.Errorf("esia: token response state %q does not echo request state %q", got, state)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return nil, errors.New("esia: token response has no id_token (is openid in scope?)")
	}
	id, err := c.verifier.VerifyIDToken(ctx, rawID)
	if err != nil {
		return nil, err
	}
	acc, err := c.verifier.VerifyAccessToken(ctx, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	if acc.OID != id.OID {
		return nil, fmt.Errorf("esia: access token is for oid %d, id_token for oid %d", acc.OID, id.OID)
	}
	return &Login{Token: tok, Identity: id, Access: acc}, nil
}

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
}

// tokenError turns x/oauth2's RetrieveError into an *Error carrying the ESIA code.
func tokenError(op string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return fmt.Errorf("esia: %s: %w", op, newError(re.ErrorCode, re.ErrorDescription))
	}
	return fmt.Errorf("esia: %s: %w", op, err)
}

// Refresh gets a new access token with a refresh token. x/oauth2's own refresher cannot add
// the per-request signature, so the request is made here.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (*oauth2.Token, error) {
	if refreshToken == "" {
		return nil, errors.New("esia: no refresh token")
	}
	state := NewState()
	p := SecretParams{
		ClientID: c.cfg.ClientID, Scope: c.scope(), ScopeOrg: c.cfg.ScopeOrg,
		Timestamp: FormatTimestamp(c.cfg.Now()), State: state, RedirectURI: c.cfg.RedirectURL,
	}
	secret, err := c.secret(ctx, p)
	if err != nil {
		return nil, err
	}
	form := url.Values{
		"client_id": {c.cfg.ClientID}, "grant_type": {"refresh_token"}, "refresh_token": {refreshToken},
		"client_secret": {secret}, "state": {state}, "redirect_uri": {c.cfg.RedirectURL},
		"scope": {p.Scope}, "timestamp": {p.Timestamp}, "token_type": {"Bearer"},
	}
	if !c.cfg.Legacy {
		form.Set("client_certificate_hash", c.cfg.CertificateHash)
	}
	if c.cfg.ScopeOrg != "" {
		form.Set("scope_org", c.cfg.ScopeOrg)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.oauth.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("esia: refresh: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("esia: refresh: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("esia: refresh: read response: %w", err)
	}
	var tr struct {
		AccessToken      string `json:"access_token"`
		RefreshToken     string `json:"refresh_token"`
		TokenType        string `json:"token_type"`
		ExpiresIn        int64  `json:"expires_in"`
		State            string `json:"state"`
		IDToken          string `json:"id_token"`
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("esia: refresh: HTTP %d, response is not JSON: %w", resp.StatusCode, err)
	}
	if tr.Error != "" || resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("esia: refresh: %w", newError(tr.Error, tr.ErrorDescription))
	}
	if tr.State != "" && tr.State != state {
		return nil, fmt.Errorf("esia: refresh response state %q does not echo request state %q", tr.State, state)
	}
	if _, err := c.verifier.VerifyAccessToken(ctx, tr.AccessToken); err != nil {
		return nil, err
	}
	tok := &oauth2.Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken, ExpiresIn: tr.ExpiresIn}
	if tr.ExpiresIn > 0 {
		tok.Expiry = c.cfg.Now().Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken = refreshToken
	}
	if tr.IDToken != "" {
		tok = tok.WithExtra(map[string]any{"id_token": tr.IDToken})
	}
	return tok, nil
}

// TokenSource returns a source that hands out tok until it expires and then refreshes it
// with a signed refresh request.
func (c *Client) TokenSource(ctx context.Context, tok *oauth2.Token) oauth2.TokenSource {
	return oauth2.ReuseTokenSource(tok, refresher{ctx: ctx, c: c, refresh: tok.RefreshToken})
}

type refresher struct {
	ctx     context.Context
	c       *Client
	refresh string
}

// Token makes a signed refresh request.
func (r refresher) Token() (*oauth2.Token, error) { return r.c.Refresh(r.ctx, r.refresh) }

// LogoutURL returns the address that ends the ESIA session and comes back to redirectURL.
// ESIA's parameter is redirect_url (not redirect_uri).
func (c *Client) LogoutURL(redirectURL string) string {
	v := url.Values{"client_id": {c.cfg.ClientID}, "redirect_url": {redirectURL}}
	return c.cfg.BaseURL + PathLogout + "?" + v.Encode()
}
