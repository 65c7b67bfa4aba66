package sim

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
)

// tokenParams are the mandatory parameters of /aas/oauth2/v3/te for the code grant.
var tokenParams = []string{"client_id", "grant_type", "client_secret", "state", "redirect_uri", "scope", "timestamp", "token_type", "client_certificate_hash"}

func tokenError(w http.ResponseWriter, status int, oauthErr, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": oauthErr, "error_description": description})
}

const grantInvalid = esia.CodeGrantInvalid + ": The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client"

// token is POST /aas/oauth2/v3/te, or the legacy /aas/oauth2/te with a CMS secret.
func (s *Server) token(legacy bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.tokenRequest(w, r, legacy) }
}

func (s *Server) tokenRequest(w http.ResponseWriter, r *http.Request, legacy bool) {
	s.mu.Lock()
	fault := 0
	if len(s.faults) > 0 {
		fault, s.faults = s.faults[0], s.faults[1:]
	}
	s.mu.Unlock()
	if fault != 0 {
		http.Error(w, "<html><body>Service Temporarily Unavailable</body></html>", fault)
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "body is not a form")
		return
	}
	f := r.PostForm
	for _, p := range tokenParams {
		if legacy && p == "client_certificate_hash" {
			continue
		}
		if f.Get(p) == "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", missingParam(p))
			return
		}
	}
	grantType := f.Get("grant_type")
	switch grantType {
	case "authorization_code":
		if f.Get("code") == "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", missingParam("code"))
			return
		}
	case "refresh_token":
		if f.Get("refresh_token") == "" {
			tokenError(w, http.StatusBadRequest, "invalid_request", missingParam("refresh_token"))
			return
		}
	default:
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+strconv.Quote(grantType)+" is not supported")
		return
	}
	if f.Get("token_type") != "Bearer" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "token_type must be Bearer")
		return
	}
	client, ok := s.clients[f.Get("client_id")]
	if !ok {
		tokenError(w, http.StatusBadRequest, "invalid_client", secretWrong)
		return
	}
	p := esia.SecretParams{ClientID: client.ID, Scope: f.Get("scope"), ScopeOrg: f.Get("scope_org"),
		Timestamp: f.Get("timestamp"), State: f.Get("state"), RedirectURI: f.Get("redirect_uri")}
	if grantType == "authorization_code" && !legacy {
		p.Code = f.Get("code")
	}
	if err := s.checkSecret(r, client, p, f.Get("client_certificate_hash"), f.Get("client_secret"), legacy); err != nil {
		s.cfg.Logger.InfoContext(r.Context(), "esia sim: token client secret rejected", "client", client.ID, "reason", err)
		tokenError(w, http.StatusBadRequest, "invalid_client", secretWrong)
		return
	}

	now := s.cfg.Now()
	s.mu.Lock()
	var g *grant
	if grantType == "authorization_code" {
		g = s.codes[f.Get("code")]
		switch {
		case g == nil || now.After(g.expires) || g.client != client || g.redirectURI != p.RedirectURI || g.scope != p.Scope:
			g = nil
		case g.used:
			// A code presented twice means it leaked: refuse and revoke what it gave (RFC 6749 4.1.2).
			for _, t := range g.issued {
				if a := s.access[t]; a != nil {
					a.revoked = true
				}
			}
			g = nil
		default:
			g.used = true
		}
	} else {
		rt := f.Get("refresh_token")
		g = s.refresh[rt]
		if g == nil || g.client != client || now.After(g.expires) {
			g = nil
		} else {
			delete(s.refresh, rt) // refresh tokens rotate
		}
	}
	s.mu.Unlock()
	if g == nil {
		tokenError(w, http.StatusBadRequest, "invalid_grant", grantInvalid)
		return
	}
	resp, err := s.issue(r.Context(), g, p.State)
	if err != nil {
		s.cfg.Logger.ErrorContext(r.Context(), "esia sim: issue tokens", "err", err)
		tokenError(w, http.StatusInternalServerError, "server_error", "token signing failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(resp)
}

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token"`
	RefreshToken string `json:"refresh_token"`
	State        string `json:"state"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
}

// issue mints access, id and refresh tokens for g.
func (s *Server) issue(ctx context.Context, g *grant, state string) (tokenResponse, error) {
	now := s.cfg.Now()
	exp := now.Add(s.cfg.TokenTTL)
	oid := g.oid
	var scoped []string
	for _, sc := range strings.Fields(g.scope) {
		if sc == "openid" {
			scoped = append(scoped, sc)
		} else {
			scoped = append(scoped, sc+"?oid="+strconv.FormatInt(oid, 10))
		}
	}
	access, err := s.MintToken(ctx, g.client.TokenAlg, esia.SubjectAccess, map[string]any{
		"nbf": now.Unix(), "scope": strings.Join(scoped, " "), "iss": s.cfg.Issuer,
		"urn:esia:sid": g.sid, "urn:esia:sbj_id": oid, "exp": exp.Unix(), "iat": now.Unix(),
		"client_id": g.client.ID,
	})
	if err != nil {
		return tokenResponse{}, err
	}
	idt, err := s.MintToken(ctx, g.client.TokenAlg, esia.SubjectID, IDClaims(s.cfg.Issuer, g.client.ID, oid, g.sid, g.authTime, now, exp, s.people[oid].Trusted))
	if err != nil {
		return tokenResponse{}, err
	}
	rt := randomToken()
	s.mu.Lock()
	g.issued = append(g.issued, access)
	s.access[access] = &accessRecord{oid: oid, client: g.client.ID, scopes: strings.Fields(g.scope), expires: exp}
	ng := *g
	ng.used, ng.issued, ng.expires = false, nil, now.Add(30*24*time.Hour)
	s.refresh[rt] = &ng
	s.mu.Unlock()
	return tokenResponse{AccessToken: access, IDToken: idt, RefreshToken: rt, State: state,
		TokenType: "Bearer", ExpiresIn: int64(s.cfg.TokenTTL / time.Second)}, nil
}

// IDClaims returns id_token claims in ESIA's shape: numeric sub and urn:esia:sbj:oid.
func IDClaims(issuer, clientID string, oid int64, sid string, authTime, now, exp time.Time, trusted bool) map[string]any {
	return map[string]any{
		"iss": issuer, "aud": clientID, "sub": oid, "exp": exp.Unix(), "iat": now.Unix(), "nbf": now.Unix(),
		"auth_time": authTime.Unix(), "amr": "PWD", "urn:esia:amd": "PWD", "urn:esia:sid": sid,
		"urn:esia:sbj": map[string]any{
			"urn:esia:sbj:typ": "P", "urn:esia:sbj:oid": oid,
			"urn:esia:sbj:nam": "OID." + strconv.FormatInt(oid, 10), "urn:esia:sbj:is_tru": trusted,
		},
	}
}

// jwtHeader keeps ESIA's header field order: ver, typ, sbt, alg.
type jwtHeader struct {
	Ver int    `json:"ver"`
	Typ string `json:"typ"`
	Sbt string `json:"sbt"`
	Alg string `json:"alg"`
}

// MintToken signs claims as an ESIA JWT of kind sbt with the current key for alg. Tests use it
// to build tokens the real flow would never issue (expired, foreign audience).
func (s *Server) MintToken(ctx context.Context, alg, sbt string, claims map[string]any) (string, error) {
	hb, _ := json.Marshal(jwtHeader{Ver: 1, Typ: "JWT", Sbt: sbt, Alg: alg})
	pb, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("esia sim: claims: %w", err)
	}
	input := base64.RawURLEncoding.EncodeToString(hb) + "." + base64.RawURLEncoding.EncodeToString(pb)
	var sig []byte
	switch alg {
	case esia.AlgGOST:
		s.mu.Lock()
		key := s.gostKeys[0]
		s.mu.Unlock()
		sig, err = key.Sign(ctx, []byte(input))
	case esia.AlgRS256:
		if s.cfg.RSAKey == nil {
			return "", fmt.Errorf("esia sim: no RSA key for RS256")
		}
		d := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(rand.Reader, s.cfg.RSAKey, crypto.SHA256, d[:])
	default:
		return "", fmt.Errorf("esia sim: unsupported alg %q", alg)
	}
	if err != nil {
		return "", fmt.Errorf("esia sim: sign token: %w", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
