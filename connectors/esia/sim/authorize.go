package sim

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"embed"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// knownScopes are the person scopes the simulator can grant.
var knownScopes = map[string]bool{
	"openid": true, "fullname": true, "birthdate": true, "gender": true, "snils": true,
	"email": true, "mobile": true, "contacts": true, "addresses": true,
}

// authorizeParams are the mandatory parameters of /aas/oauth2/v2/ac, in ESIA's order.
var authorizeParams = []string{"client_id", "client_secret", "redirect_uri", "scope", "response_type", "state", "timestamp", "client_certificate_hash"}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// errorPage is shown when ESIA cannot safely redirect back (unknown client or redirect URI).
func errorPage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	pages.ExecuteTemplate(w, "error.html", map[string]string{"Code": code, "Message": msg})
}

// redirectError sends the browser back to the client with an OAuth error, as ESIA does.
func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, oauthErr, description, state string) {
	v := url.Values{"error": {oauthErr}, "error_description": {description}}
	if state != "" {
		v.Set("state", state)
	}
	http.Redirect(w, r, appendQuery(redirectURI, v), http.StatusFound)
}

func appendQuery(u string, v url.Values) string {
	if strings.Contains(u, "?") {
		return u + "&" + v.Encode()
	}
	return u + "?" + v.Encode()
}

func missingParam(name string) string {
	return esia.CodeMissingParam + ": The request doesn't contain the mandatory parameter [" + name + "]"
}

const secretWrong = esia.CodeSecretWrong + ": OAuthErrorEnum.clientSecretWrong"

// authorize is GET /aas/oauth2/v2/ac, or the legacy /aas/oauth2/ac with a CMS secret.
func (s *Server) authorize(legacy bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.authorizeRequest(w, r, legacy) }
}

func (s *Server) authorizeRequest(w http.ResponseWriter, r *http.Request, legacy bool) {
	q := r.URL.Query()
	client, ok := s.clients[q.Get("client_id")]
	if q.Get("client_id") == "" {
		errorPage(w, http.StatusBadRequest, esia.CodeMissingParam, missingParam("client_id"))
		return
	}
	if !ok {
		errorPage(w, http.StatusBadRequest, "", "Неизвестная информационная система: "+q.Get("client_id"))
		return
	}
	redirectURI := q.Get("redirect_uri")
	if redirectURI == "" {
		errorPage(w, http.StatusBadRequest, esia.CodeMissingParam, missingParam("redirect_uri"))
		return
	}
	if !slices.Contains(client.RedirectURIs, redirectURI) {
		errorPage(w, http.StatusBadRequest, "", "Адрес возврата не зарегистрирован для системы "+client.ID)
		return
	}
	state := q.Get("state")
	for _, p := range authorizeParams {
		if legacy && p == "client_certificate_hash" {
			continue
		}
		if q.Get(p) == "" {
			redirectError(w, r, redirectURI, "invalid_request", missingParam(p), state)
			return
		}
	}
	if q.Get("response_type") != "code" {
		redirectError(w, r, redirectURI, "unsupported_response_type", "response_type must be code", state)
		return
	}
	if !esia.ValidState(state) {
		redirectError(w, r, redirectURI, "invalid_request", "state is not a UUID", state)
		return
	}
	scope := q.Get("scope")
	if err := checkScope(scope); err != nil {
		redirectError(w, r, redirectURI, "invalid_scope", err.Error(), state)
		return
	}
	p := esia.SecretParams{ClientID: client.ID, Scope: scope, ScopeOrg: q.Get("scope_org"),
		Timestamp: q.Get("timestamp"), State: state, RedirectURI: redirectURI}
	if err := s.checkSecret(r, client, p, q.Get("client_certificate_hash"), q.Get("client_secret"), legacy); err != nil {
		s.cfg.Logger.InfoContext(r.Context(), "esia sim: client secret rejected", "client", client.ID, "reason", err)
		redirectError(w, r, redirectURI, "access_denied", secretWrong, state)
		return
	}
	id := randomToken()
	s.mu.Lock()
	s.pending[id] = &authRequest{client: client, redirectURI: redirectURI, scope: scope, state: state,
		expires: s.cfg.Now().Add(s.cfg.CodeTTL * 3)}
	s.mu.Unlock()
	s.loginPage(w, id, client.ID)
}

func checkScope(scope string) error {
	fields := strings.Fields(scope)
	if !slices.Contains(fields, "openid") {
		return errors.New("scope must contain openid")
	}
	for _, f := range fields {
		if !knownScopes[f] {
			return errors.New("unknown scope " + strconv.Quote(f))
		}
	}
	return nil
}

// CMSVerifier checks detached CMS secrets of the legacy flow; the simulator serves the legacy
// endpoints only when Config.Crypto implements it.
type CMSVerifier interface {
	VerifyCMS(ctx context.Context, cert *gost.Certificate, msg, cms []byte) error
}

// checkSecret verifies the client certificate hash, timestamp window and the signature: raw
// GOST over the v2 string, or (legacy) detached CMS over scope+timestamp+client_id+state.
func (s *Server) checkSecret(r *http.Request, c *Client, p esia.SecretParams, hash, secret string, legacy bool) error {
	s.mu.Lock()
	revoked := s.revoked[c.ID]
	s.mu.Unlock()
	if revoked {
		return errors.New("the registered certificate is not active")
	}
	if !legacy && !strings.EqualFold(hash, c.hash) {
		return errors.New("client_certificate_hash does not match the registered certificate")
	}
	ts, err := esia.ParseTimestamp(p.Timestamp)
	if err != nil {
		return err
	}
	if d := s.cfg.Now().Sub(ts); d > s.cfg.TimestampWindow || d < -s.cfg.TimestampWindow {
		return errors.New("timestamp is outside the allowed window")
	}
	sig, err := esia.DecodeSecret(secret)
	if err != nil {
		return err
	}
	if legacy {
		v, ok := s.cfg.Crypto.(CMSVerifier)
		if !ok {
			return errors.New("legacy flow is not supported by this simulator's crypto")
		}
		return v.VerifyCMS(r.Context(), c.Certificate, []byte(p.LegacyMessage()), sig)
	}
	if len(sig) != gost.SignatureSize {
		return errors.New("client_secret is not a raw 64-byte GOST signature")
	}
	return s.cfg.Crypto.Verify(r.Context(), c.Certificate, []byte(p.Message()), sig)
}

type citizenView struct {
	OID   int64
	Login string
	Name  string
}

func (s *Server) loginPage(w http.ResponseWriter, id, clientID string) {
	var people []citizenView
	for _, p := range s.people {
		people = append(people, citizenView{OID: p.OID, Login: p.Login,
			Name: strings.Join(strings.Fields(p.LastName+" "+p.FirstName+" "+p.MiddleName), " ")})
	}
	sort.Slice(people, func(i, j int) bool { return people[i].OID < people[j].OID })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := pages.ExecuteTemplate(w, "login.html", map[string]any{"ID": id, "Client": clientID, "People": people}); err != nil {
		s.cfg.Logger.Error("esia sim: login page", "err", err)
	}
}

// login is POST /idp/login: the tester picked a demo citizen.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	id := r.PostFormValue("request")
	oid, _ := strconv.ParseInt(r.PostFormValue("oid"), 10, 64)
	s.mu.Lock()
	req, ok := s.pending[id]
	delete(s.pending, id)
	s.mu.Unlock()
	if !ok || s.cfg.Now().After(req.expires) {
		errorPage(w, http.StatusBadRequest, "", "Сессия входа устарела. Вернитесь на сайт и начните вход заново.")
		return
	}
	if r.PostFormValue("decline") != "" {
		redirectError(w, r, req.redirectURI, "access_denied", "The resource owner denied the request", req.state)
		return
	}
	if _, ok := s.people[oid]; !ok {
		errorPage(w, http.StatusBadRequest, "", "Неизвестная учётная запись.")
		return
	}
	code := randomToken()
	now := s.cfg.Now()
	s.mu.Lock()
	s.codes[code] = &grant{client: req.client, redirectURI: req.redirectURI, scope: req.scope, oid: oid,
		sid: randomToken(), authTime: now, expires: now.Add(s.cfg.CodeTTL)}
	s.mu.Unlock()
	http.Redirect(w, r, appendQuery(req.redirectURI, url.Values{"code": {code}, "state": {req.state}}), http.StatusFound)
}

// logout is GET /idp/ext/Logout?client_id&redirect_url.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	c, ok := s.clients[q.Get("client_id")]
	if !ok {
		errorPage(w, http.StatusBadRequest, esia.CodeMissingParam, missingParam("client_id"))
		return
	}
	target := q.Get("redirect_url")
	u, err := url.Parse(target)
	if target == "" || err != nil || !u.IsAbs() || !sameOrigin(u, c.RedirectURIs) {
		errorPage(w, http.StatusBadRequest, esia.CodeMissingParam, missingParam("redirect_url"))
		return
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func sameOrigin(u *url.URL, registered []string) bool {
	for _, r := range registered {
		if ru, err := url.Parse(r); err == nil && ru.Scheme == u.Scheme && ru.Host == u.Host {
			return true
		}
	}
	return false
}

func (s *Server) index(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	pages.ExecuteTemplate(w, "index.html", map[string]any{"Issuer": s.cfg.Issuer})
}
