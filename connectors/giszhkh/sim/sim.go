// Package sim is a GIS ZhKH simulator: the server side of the asynchronous
// SOAP API at the same paths as the real services. It validates every
// request against the official XSD and its XAdES signature against
// configured certificates, answers an Ack, then reports RequestState
// 1 → 2 → 3 after a configurable delay; a re-sent MessageGUID gets the same
// Ack. It starts from a World (the organizations, houses and premises GIS
// already holds) and keeps its own state — accounts, meters, readings,
// payment documents, payment notices — assigns identifiers in the real
// formats (ЕЛС 10 characters, ЖКУ id 13, PaymentDocumentID 18), applies
// business controls as per-item errors, and injects faults on demand.
//
// Every response it writes (Ack, getStateResult, fault detail) is checked
// against the same XSD before it is sent: a response that fails is a
// simulator bug, logged and answered with HTTP 500.
//
// It is meant for tests, demos and benchmarks on loopback.
package sim

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/canon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/base"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xades"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/xsdcheck"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// Faults configures fault injection. Rates are probabilities in [0, 1].
//
// Rates are exact fractions spaced evenly from a random start (an error
// accumulator), not independent coin flips: every run of 1/rate calls sees
// one fault, so even a short rehearsal gets its share.
type Faults struct {
	// EXPRate answers that fraction of requests (not getState) with SOAP
	// fault EXP001000 without accepting them.
	EXPRate float64
	// HTTP502Rate answers that fraction of all calls with a bare HTTP 502.
	HTTP502Rate float64
	// Latency is added before every answer (after processing).
	Latency time.Duration
	// OutageFrom–OutageTo answers every call with HTTP 503.
	OutageFrom, OutageTo time.Time
}

// Config configures a simulator.
type Config struct {
	// SpecDir holds the official schemas (../shared/spec/gis-zhkh).
	SpecDir string
	// Trusted are the certificates whose signatures are accepted.
	Trusted []*gost.Certificate
	// Crypto verifies signatures and computes digests.
	Crypto interface {
		gost.Verifier
		gost.Hasher
	}
	// Orgs are the orgPPAGUIDs the simulator knows besides the World's
	// organizations; when both are empty any organization is accepted.
	Orgs []string
	// World is what GIS holds before the exchange starts.
	World World
	// NsiPageSize is the number of elements on one exportNsiPagingItem
	// page (GIS: 1000, the default).
	NsiPageSize int
	// Delay is the processing time: state 1 until Delay/2, 2 until Delay,
	// then 3.
	Delay time.Duration
	// HistoryBlock is the most devices one exportMeteringDeviceHistory
	// answer carries (GIS: 1000, the default); the rest follows in blocks.
	HistoryBlock int
	// Sign, when set, signs every getStateResult as GIS does (an enveloped
	// XAdES signature over the result, its first child); the gateway checks
	// it against the certificate it pins. Nil answers unsigned.
	Sign gost.Signer
	// User and Password, when set, require HTTP Basic auth.
	User, Password string
	Faults         Faults
	// Seed makes fault injection and generated readings repeatable.
	Seed   uint64
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is the simulator; it implements http.Handler.
type Server struct {
	cfg      Config
	xsd      *xsdcheck.Validator
	verifier *xades.Verifier
	signer   *xades.Signer // nil: answers are not signed
	orgs     map[string]bool
	world    *worldIndex
	// tamper, set by tests only, changes a response part before it is
	// checked: the way to prove a broken response never leaves.
	tamper func(what string, doc []byte) []byte

	mu       sync.Mutex
	rnd      *rand.Rand
	faults   Faults
	due502   float64 // fault accumulators: a fault is injected when one reaches 1
	dueEXP   float64
	messages map[string]*message // by GIS MessageGUID (ack)
	byReq    map[string]string   // sender|requester MessageGUID → ack
	st       *state
	stats    Stats
}

// Stats counts what the simulator saw, for tests and the demo.
type Stats struct {
	Requests, Accepted, Duplicates, GetStates int
	FaultsEXP, Faults502, Faults503, Rejected int
	// BadResponses counts responses the simulator refused to send because
	// they broke the schema (a simulator bug; HTTP 500 instead).
	BadResponses int
}

type message struct {
	ack, requester, org string
	service             giszhkh.Service
	op                  string
	version             string
	accepted            time.Time
	result              []byte       // getStateResult content for state 3 (built at acceptance)
	checked             map[int]bool // states whose getStateResult passed the schema check
}

// New returns a simulator.
func New(cfg Config) (*Server, error) {
	if cfg.Crypto == nil {
		return nil, errors.New("sim: Config.Crypto is required")
	}
	if len(cfg.Trusted) == 0 {
		return nil, errors.New("sim: at least one trusted certificate is required")
	}
	if err := cfg.World.Check(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	v, err := xsdcheck.New(cfg.SpecDir)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		cfg: cfg, xsd: v, verifier: xades.NewVerifier(cfg.Crypto, cfg.Crypto, cfg.Trusted...),
		orgs: map[string]bool{}, world: indexWorld(cfg.World), rnd: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		faults: cfg.Faults, messages: map[string]*message{}, byReq: map[string]string{}, st: newState(),
	}
	if cfg.Sign != nil {
		if s.signer, err = xades.NewSigner(context.Background(), cfg.Sign, cfg.Crypto, xades.Options{Now: cfg.Now}); err != nil {
			return nil, fmt.Errorf("sim: answer signer: %w", err)
		}
	}
	for _, o := range cfg.Orgs {
		s.orgs[strings.ToLower(o)] = true
	}
	for _, o := range s.world.orgs {
		s.orgs[o.PPAGUID] = true
	}
	return s, nil
}

// SeededWorld returns the world the simulator started from, with every GUID
// it derived filled in.
func (s *Server) SeededWorld() World {
	return World{Orgs: append([]WorldOrg(nil), s.world.orgs...), Houses: s.world.houseList()}
}

func (s *Server) nsiPageSize() int {
	if s.cfg.NsiPageSize > 0 {
		return s.cfg.NsiPageSize
	}
	return 1000
}

func (s *Server) historyBlock() int {
	if s.cfg.HistoryBlock > 0 {
		return s.cfg.HistoryBlock
	}
	return 1000
}

// SetFaults changes fault injection at run time.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// ServeHTTP implements the SOAP endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if s.cfg.User != "" {
		u, p, ok := r.BasicAuth()
		if !ok || u != s.cfg.User || p != s.cfg.Password {
			w.Header().Set("WWW-Authenticate", `Basic realm="GIS ZhKH simulator"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
	}
	svc, ok := giszhkh.ServiceByPath(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	action := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	op, ok := giszhkh.OperationByAction(svc, action)
	if !ok {
		s.fault(r.Context(), w, "FMT001300", fmt.Sprintf("unknown SOAPAction %q for %s", action, svc))
		return
	}
	if code := s.injected(op.Name == giszhkh.OpGetState); code != 0 {
		s.delay()
		switch code {
		case http.StatusBadGateway:
			http.Error(w, "<html><body>502 Bad Gateway</body></html>", code)
		case http.StatusServiceUnavailable:
			http.Error(w, "<html><body>503 Service Temporarily Unavailable</body></html>", code)
		default:
			s.fault(r.Context(), w, giszhkh.CodeTransferFailure, "Произошла ошибка при передаче данных. Попробуйте осуществить передачу данных повторно.")
		}
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	if err != nil {
		s.fault(r.Context(), w, "FMT001300", "cannot read request: "+err.Error())
		return
	}
	// Like the real service, a request that arrived is processed even if
	// the caller hangs up.
	ctx := context.WithoutCancel(r.Context())
	if op.Name == giszhkh.OpGetState {
		s.getState(ctx, w, svc, data)
		return
	}
	s.request(ctx, w, op, data)
}

// injected decides fault injection for one call; 0 means none.
func (s *Server) injected(getState bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.faults
	now := s.cfg.Now()
	switch {
	case !f.OutageFrom.IsZero() && !now.Before(f.OutageFrom) && now.Before(f.OutageTo):
		s.stats.Faults503++
		return http.StatusServiceUnavailable
	case s.due(&s.due502, f.HTTP502Rate):
		s.stats.Faults502++
		return http.StatusBadGateway
	case !getState && s.due(&s.dueEXP, f.EXPRate):
		s.stats.FaultsEXP++
		return -1
	}
	return 0
}

// due adds rate to an accumulator and reports whether a fault is due. The
// accumulator starts at a random phase, so faults do not always hit the
// same calls; s.mu must be held.
func (s *Server) due(acc *float64, rate float64) bool {
	if rate <= 0 {
		return false
	}
	if *acc == 0 {
		*acc = s.rnd.Float64() * min(rate, 1) // first call: random phase, never an immediate certainty below rate 1
	}
	*acc += rate
	if *acc >= 1 {
		*acc--
		return true
	}
	return false
}

// header is what the simulator reads from RequestHeader / ISRequestHeader.
type header struct {
	MessageGUID string `xml:"http://dom.gosuslugi.ru/schema/integration/base/ MessageGUID"`
	OrgPPAGUID  string `xml:"http://dom.gosuslugi.ru/schema/integration/base/ orgPPAGUID"`
}

func (s *Server) request(ctx context.Context, w http.ResponseWriter, op giszhkh.OperationInfo, data []byte) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		s.reject(ctx, w, "FMT001300", "Некорректный XML: "+err.Error())
		return
	}
	body, err := giszhkh.BodyElement(doc)
	if err != nil {
		s.reject(ctx, w, "FMT001300", err.Error())
		return
	}
	hdrEl := giszhkh.HeaderElement(doc)
	if hdrEl == nil || hdrEl.Tag != op.Header {
		s.reject(ctx, w, "FMT001300", fmt.Sprintf("operation %s needs a %s header", op.Name, op.Header))
		return
	}
	if body.Tag != op.Request || body.NamespaceURI() != op.RequestNS {
		s.reject(ctx, w, "FMT001300", fmt.Sprintf("SOAPAction %s does not match body element %s", op.SOAPAction, body.Tag))
		return
	}
	hdrXML, bodyXML := standalone(hdrEl), standalone(body)
	if err := s.xsd.Validate(ctx, "lib", hdrXML); err != nil {
		s.reject(ctx, w, "FMT001300", err.Error())
		return
	}
	if err := s.xsd.Validate(ctx, string(op.Service), bodyXML); err != nil {
		s.reject(ctx, w, "FMT001300", err.Error())
		return
	}
	if _, err := s.verifier.VerifyElement(ctx, body); err != nil {
		if errors.Is(err, xades.ErrInvalid) {
			s.reject(ctx, w, "AUT011005", "Подпись не прошла проверку: "+err.Error())
			return
		}
		s.fault(ctx, w, "EXP001000", "signature check failed: "+err.Error())
		return
	}
	var h header
	if err := xml.Unmarshal(hdrXML, &h); err != nil {
		s.reject(ctx, w, "FMT001300", err.Error())
		return
	}
	if op.Header == "RequestHeader" && len(s.orgs) > 0 && !s.orgs[strings.ToLower(h.OrgPPAGUID)] {
		s.reject(ctx, w, "AUT011002", "Организация не найдена: "+h.OrgPPAGUID)
		return
	}

	s.mu.Lock()
	key := strings.ToLower(h.OrgPPAGUID + "|" + h.MessageGUID)
	if ack, ok := s.byReq[key]; ok {
		// A re-sent message gets the Ack it got the first time.
		s.stats.Duplicates++
		m := s.messages[ack]
		s.mu.Unlock()
		s.ack(ctx, w, m)
		return
	}
	m := &message{ack: uuid.NewString(), requester: h.MessageGUID, org: strings.ToLower(h.OrgPPAGUID), service: op.Service,
		op: op.Name, version: body.SelectAttrValue("base:version", ""), accepted: s.cfg.Now()}
	res, err := s.st.process(s, m, bodyXML)
	if err != nil {
		s.mu.Unlock()
		s.fault(ctx, w, "EXP001000", err.Error())
		return
	}
	m.result = res
	s.messages[m.ack] = m
	s.byReq[key] = m.ack
	s.stats.Accepted++
	s.mu.Unlock()
	s.cfg.Logger.Debug("gis sim: accepted", "op", op.Name, "ack", m.ack, "org", h.OrgPPAGUID)
	s.ack(ctx, w, m)
}

func (s *Server) getState(ctx context.Context, w http.ResponseWriter, svc giszhkh.Service, data []byte) {
	var req struct {
		MessageGUID string `xml:"Body>getStateRequest>MessageGUID"`
	}
	if err := xml.Unmarshal(data, &req); err != nil || req.MessageGUID == "" {
		s.fault(ctx, w, "FMT001300", "getStateRequest without MessageGUID")
		return
	}
	s.mu.Lock()
	s.stats.GetStates++
	m, ok := s.messages[strings.ToLower(req.MessageGUID)]
	s.mu.Unlock()
	if !ok || m.service != svc {
		s.fault(ctx, w, giszhkh.CodeUnknownMessage, "Запрос не найден: "+req.MessageGUID)
		return
	}
	age := s.cfg.Now().Sub(m.accepted)
	state := giszhkh.StateDone
	switch {
	case age < s.cfg.Delay/2:
		state = giszhkh.StateReceived
	case age < s.cfg.Delay:
		state = giszhkh.StateProcessing
	}
	var content []byte
	if state == giszhkh.StateDone {
		content = m.result
	}
	hdr := s.resultHeader(uuid.NewString())
	body := stateResult(svc, m, state, content)
	s.mu.Lock()
	checked := m.checked[state]
	s.mu.Unlock()
	parts := []part{{"lib", hdr}}
	if !checked {
		// A message's getStateResult for a state never changes: checked once.
		parts = append(parts, part{string(svc), body})
	}
	doc := envelope(hdr, body)
	if s.signer != nil {
		signed, err := s.signAnswer(ctx, doc)
		if err != nil {
			s.cfg.Logger.ErrorContext(ctx, "gis simulator: sign answer", "error", err)
			http.Error(w, "simulator cannot sign its answer", http.StatusInternalServerError)
			return
		}
		doc = signed
	}
	if s.respond(ctx, w, http.StatusOK, "getStateResult of "+m.op, doc, parts...) && !checked {
		s.mu.Lock()
		if m.checked == nil {
			m.checked = map[int]bool{}
		}
		m.checked[state] = true
		s.mu.Unlock()
	}
}

// signAnswer signs the getStateResult of an answer envelope in place of
// GIS: the result gets an Id and an enveloped signature as its first child.
// The schema check runs on the unsigned parts; BaseType allows both.
func (s *Server) signAnswer(ctx context.Context, env []byte) ([]byte, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(env); err != nil {
		return nil, err
	}
	body, err := giszhkh.BodyElement(doc)
	if err != nil {
		return nil, err
	}
	body.CreateAttr("Id", "signed-data-container")
	if err := s.signer.SignElement(ctx, body); err != nil {
		return nil, err
	}
	return doc.WriteToBytes()
}

// standalone serializes el as its own document.
func standalone(el *etree.Element) []byte {
	d := etree.NewDocument()
	d.SetRoot(el.Copy())
	b, _ := d.WriteToBytes()
	return b
}

var prefixes = canon.Prefixes{}

// resultHeader renders the ResultHeader of a reply.
func (s *Server) resultHeader(messageGUID string) []byte {
	var b bytes.Buffer
	_ = canon.New(&b, prefixes).Element(base.ResultHeader{HeaderType: base.HeaderType{
		Date: s.cfg.Now().Format("2006-01-02T15:04:05.000-07:00"), MessageGUID: base.GUIDType(messageGUID)}})
	return b.Bytes()
}

// envelope wraps a header element (may be nil) and a body element.
func envelope(hdr, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString(`<soapenv:Envelope xmlns:soapenv="` + giszhkh.NSSoap + `">`)
	if hdr != nil {
		b.WriteString(`<soapenv:Header>`)
		b.Write(hdr)
		b.WriteString(`</soapenv:Header>`)
	}
	b.WriteString(`<soapenv:Body>`)
	b.Write(body)
	b.WriteString(`</soapenv:Body></soapenv:Envelope>`)
	return b.Bytes()
}

func (s *Server) ack(ctx context.Context, w http.ResponseWriter, m *message) {
	hdr := s.resultHeader(m.ack)
	var b bytes.Buffer
	_ = canon.New(&b, prefixes).Element(base.AckRequest{Ack: base.AckRequest_Ack{MessageGUID: base.GUIDType(m.ack), RequesterMessageGUID: base.GUIDType(m.requester)}})
	s.respond(ctx, w, http.StatusOK, "Ack of "+m.op, envelope(hdr, b.Bytes()), part{"lib", hdr}, part{"lib", b.Bytes()})
}

func (s *Server) reject(ctx context.Context, w http.ResponseWriter, code, msg string) {
	s.mu.Lock()
	s.stats.Rejected++
	s.mu.Unlock()
	s.cfg.Logger.Info("gis sim: rejected", "code", code, "error", msg)
	s.fault(ctx, w, code, msg)
}

// maxFaultMessage keeps ErrorMessage well inside what clients display; long
// schema reports are cut.
const maxFaultMessage = 2000

func (s *Server) fault(ctx context.Context, w http.ResponseWriter, code, msg string) {
	if r := []rune(msg); len(r) > maxFaultMessage {
		msg = string(r[:maxFaultMessage]) + "…"
	}
	var detail bytes.Buffer
	_ = canon.New(&detail, prefixes).Element(base.Fault{ErrorCode: code, ErrorMessage: msg})
	var b bytes.Buffer
	b.WriteString(`<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>`)
	xml.EscapeText(&b, []byte(msg))
	b.WriteString(`</faultstring><detail>`)
	b.Write(detail.Bytes())
	b.WriteString(`</detail></soapenv:Fault>`)
	s.respond(ctx, w, http.StatusInternalServerError, "fault "+code, envelope(nil, b.Bytes()), part{"lib", detail.Bytes()})
}

// part is one element of a response and the schema it must satisfy.
type part struct {
	schema string
	doc    []byte
}

// respond checks the parts of a response against the schema and sends env;
// a part that fails is the simulator's own bug: it is logged, counted and
// answered with HTTP 500 instead. It reports whether env was sent.
func (s *Server) respond(ctx context.Context, w http.ResponseWriter, status int, what string, env []byte, parts ...part) bool {
	s.mu.Lock()
	tamper := s.tamper
	s.mu.Unlock()
	for _, p := range parts {
		doc := p.doc
		if tamper != nil {
			doc = tamper(what, doc)
			env = bytes.Replace(env, p.doc, doc, 1)
		}
		if err := s.xsd.Validate(ctx, p.schema, doc); err != nil {
			s.mu.Lock()
			s.stats.BadResponses++
			s.mu.Unlock()
			s.cfg.Logger.Error("gis sim: response does not match the schema", "response", what, "schema", p.schema, "error", err)
			// The schema's complaint first: clients show only the start of a body.
			msg := err.Error()
			if _, after, ok := strings.Cut(msg, ".xsd): "); ok {
				msg = after
			}
			msg = strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", " | ")), " ")
			http.Error(w, "simulator bug, "+what+" breaks the schema "+p.schema+": "+msg, http.StatusInternalServerError)
			return false
		}
	}
	s.write(w, status, env)
	return true
}

// delay sleeps the injected latency. It is spent after a request was
// processed and before the answer goes out — where a caller that dies has
// had its message accepted without learning the Ack.
func (s *Server) delay() {
	s.mu.Lock()
	d := s.faults.Latency
	s.mu.Unlock()
	if d > 0 {
		time.Sleep(d)
	}
}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	s.delay()
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
