// Package sim is an ESIA (Gosuslugi) simulator for tests and demos: the same endpoints,
// parameters, signatures, token shapes and error codes as the real ESIA, served on loopback.
//
// It checks what ESIA checks: mandatory parameters (ESIA-007014), the client certificate
// hash and the raw GOST client secret over the v2 string (ESIA-007053), the timestamp window,
// single-use authorization codes bound to client, redirect URI and scope (ESIA-007011), and
// Bearer access tokens on /rs/prns. It signs id and access tokens with its own GOST key
// (or RS256 per client, as ESIA's tech portal allows) and publishes its certificates at
// /public/esia.pem, the way esia.zip carries ESIA's real ones.
package sim

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Client is an information system registered in the simulator (the tech portal's record).
type Client struct {
	// ID is the system's mnemonic (client_id).
	ID string
	// Certificate is the registered GOST certificate that verifies client secrets.
	Certificate *gost.Certificate
	// RedirectURIs are the registered callback URLs, compared exactly.
	RedirectURIs []string
	// TokenAlg is esia.AlgGOST (default) or esia.AlgRS256.
	TokenAlg string

	hash string
}

// Citizen is a demo ESIA account a tester can log in as.
type Citizen struct {
	OID        int64
	Login      string
	LastName   string
	FirstName  string
	MiddleName string
	BirthDate  string // dd.MM.yyyy
	Gender     string // M or F
	SNILS      string // 000-000-000 00
	Email      string
	Mobile     string // +7(900)1234567
	Trusted    bool
	// Address is the registration address (PRG), served with the addresses scope.
	Address Address
}

// Address is an ESIA address element.
type Address struct {
	Text, ZipCode, Region, City, Street, House, Flat string
}

// Crypto is what the simulator needs from the GOST implementation.
type Crypto interface {
	gost.Verifier
	gost.Hasher
}

// Config sets up a simulator.
type Config struct {
	// Issuer is the `iss` of issued tokens, ESIA-style: "http://host:port/" with the slash.
	Issuer string
	// Clients are the registered information systems.
	Clients []Client
	// Citizens are the demo accounts.
	Citizens []Citizen
	// GOST signs GOST3410_2012_256 tokens; its certificate is published.
	GOST gost.Signer
	// RSAKey and RSACert sign and publish RS256 tokens; optional.
	RSAKey  *rsa.PrivateKey
	RSACert *x509.Certificate
	// Crypto verifies client secrets and hashes client certificates.
	Crypto Crypto
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TimestampWindow is how far a request timestamp may be from now; 5 minutes when zero.
	TimestampWindow time.Duration
	// CodeTTL is the life of an authorization code; 5 minutes when zero.
	CodeTTL time.Duration
	// TokenTTL is the life of access and id tokens; 1 hour when zero.
	TokenTTL time.Duration
	// Logger receives why requests were refused; slog.Default() when nil.
	Logger *slog.Logger
}

// Server is a running simulator's state. It is safe for concurrent use.
type Server struct {
	cfg     Config
	clients map[string]*Client
	people  map[int64]Citizen

	mu       sync.Mutex
	pending  map[string]*authRequest  // login page id → authorization request
	codes    map[string]*grant        // authorization code → grant
	refresh  map[string]*grant        // refresh token → grant
	access   map[string]*accessRecord // access token → record
	gostKeys []gost.Signer            // current first, then previous ones still published
	faults   []int                    // HTTP statuses the next token requests answer with
	revoked  map[string]bool          // client ids whose certificate was deactivated
}

// RevokeClientCertificate deactivates the registered certificate of clientID: from now on its
// client secrets are refused with ESIA-007053, as for "certificate not active".
func (s *Server) RevokeClientCertificate(clientID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked == nil {
		s.revoked = map[string]bool{}
	}
	s.revoked[clientID] = true
}

// FailTokenRequests makes the next token requests answer with these HTTP statuses, one each,
// the way an overloaded ESIA does.
func (s *Server) FailTokenRequests(statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, statuses...)
}

type authRequest struct {
	client      *Client
	redirectURI string
	scope       string
	state       string
	expires     time.Time
}

type grant struct {
	client      *Client
	redirectURI string
	scope       string
	oid         int64
	sid         string
	authTime    time.Time
	expires     time.Time
	used        bool
	issued      []string // access tokens issued from this grant, revoked on code reuse
}

type accessRecord struct {
	oid     int64
	client  string
	scopes  []string
	expires time.Time
	revoked bool
}

// New checks cfg and hashes the registered client certificates.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if !strings.HasSuffix(cfg.Issuer, "/") || !strings.HasPrefix(cfg.Issuer, "http") {
		return nil, fmt.Errorf("esia sim: issuer %q must be an http(s) URL ending in '/'", cfg.Issuer)
	}
	if cfg.GOST == nil || cfg.Crypto == nil {
		return nil, errors.New("esia sim: GOST signer and crypto are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.TimestampWindow == 0 {
		cfg.TimestampWindow = 5 * time.Minute
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = 5 * time.Minute
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = time.Hour
	}
	s := &Server{
		cfg: cfg, clients: map[string]*Client{}, people: map[int64]Citizen{},
		pending: map[string]*authRequest{}, codes: map[string]*grant{}, refresh: map[string]*grant{},
		access: map[string]*accessRecord{}, gostKeys: []gost.Signer{cfg.GOST},
	}
	for i := range cfg.Clients {
		c := cfg.Clients[i]
		if c.ID == "" || c.Certificate == nil || len(c.RedirectURIs) == 0 {
			return nil, fmt.Errorf("esia sim: client %d needs ID, Certificate and RedirectURIs", i+1)
		}
		switch c.TokenAlg {
		case "":
			c.TokenAlg = esia.AlgGOST
		case esia.AlgGOST:
		case esia.AlgRS256:
			if cfg.RSAKey == nil {
				return nil, fmt.Errorf("esia sim: client %s wants RS256 tokens but no RSA key is configured", c.ID)
			}
		default:
			return nil, fmt.Errorf("esia sim: client %s: token alg %q unsupported", c.ID, c.TokenAlg)
		}
		h, err := gost.CertificateHash(ctx, cfg.Crypto, c.Certificate)
		if err != nil {
			return nil, fmt.Errorf("esia sim: client %s: %w", c.ID, err)
		}
		c.hash = h
		s.clients[c.ID] = &c
	}
	for _, p := range cfg.Citizens {
		s.people[p.OID] = p
	}
	return s, nil
}

// RotateGOSTKey makes signer the current token key. The previous key's certificate stays
// published (and its tokens valid) until RetireGOSTKeys is called, like ESIA's rotation.
func (s *Server) RotateGOSTKey(signer gost.Signer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gostKeys = append([]gost.Signer{signer}, s.gostKeys...)
}

// RetireGOSTKeys stops publishing all but the current GOST key.
func (s *Server) RetireGOSTKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gostKeys = s.gostKeys[:1]
}

// CertificatesPEM returns the published token-signing certificates (GOST current first, then
// previous, then RSA), the bundle a client pins.
func (s *Server) CertificatesPEM() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []byte
	for _, k := range s.gostKeys {
		out = append(out, k.Certificate().PEM()...)
	}
	if s.cfg.RSACert != nil {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cfg.RSACert.Raw})...)
	}
	return out
}

// CertificateHash returns the client_certificate_hash registered for clientID.
func (s *Server) CertificateHash(clientID string) string {
	if c, ok := s.clients[clientID]; ok {
		return c.hash
	}
	return ""
}

// Handler serves the ESIA endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+esia.PathAuthorize, s.authorize(false))
	mux.HandleFunc("GET "+esia.PathLegacyAuthorize, s.authorize(true))
	mux.HandleFunc("POST /idp/login", s.login)
	mux.HandleFunc("POST "+esia.PathToken, s.token(false))
	mux.HandleFunc("POST "+esia.PathLegacyToken, s.token(true))
	mux.HandleFunc("GET "+esia.PathPersons+"{oid}", s.person)
	mux.HandleFunc("GET "+esia.PathPersons+"{oid}/ctts", s.contacts)
	mux.HandleFunc("GET "+esia.PathPersons+"{oid}/ctts/{id}", s.contact)
	mux.HandleFunc("GET "+esia.PathPersons+"{oid}/addrs", s.addresses)
	mux.HandleFunc("GET "+esia.PathLogout, s.logout)
	mux.HandleFunc("GET /public/esia.pem", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-pem-file")
		w.Write(s.CertificatesPEM())
	})
	mux.HandleFunc("GET /{$}", s.index)
	return secureHeaders(mux)
}

func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}
