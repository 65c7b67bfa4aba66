package giszhkh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout is the HTTP timeout of one call: GIS answers slowly, and
// 60 s proved too short in practice.
const DefaultTimeout = 180 * time.Second

// maxResponse bounds a response body (GIS keeps results under 10 MB).
const maxResponse = 64 << 20

// ClientConfig configures the transport.
type ClientConfig struct {
	// BaseURL is where the services live: the TLS sidecar in production
	// (http://127.0.0.1:8080), the simulator in tests and demos.
	BaseURL string
	// User and Password, when set, are sent as HTTP Basic auth (test stands).
	User, Password string
	// Timeout of one call; default DefaultTimeout.
	Timeout time.Duration
	// Transport carries the requests, e.g. one that records metrics;
	// default http.DefaultTransport.
	Transport http.RoundTripper
	// Answers, when set, checks GIS's signature on every getStateResult;
	// an answer that fails is refused (ErrAnswerSignature).
	Answers *AnswerVerifier
}

// Client sends requests over SOAP 1.1 / HTTP.
type Client struct {
	base *url.URL
	cfg  ClientConfig
	http *http.Client
}

// NewClient checks the configuration and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("giszhkh: base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	return &Client{base: u, cfg: cfg, http: &http.Client{Timeout: cfg.Timeout, Transport: cfg.Transport}}, nil
}

// HTTPError is a non-SOAP HTTP failure (502, 503, an HTML error page …).
type HTTPError struct {
	Status int
	Body   string
}

// Error implements error.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("GIS ZhKH HTTP %d: %.200s", e.Status, e.Body)
}

// Exchange is what one call sent and got, for the exchange log.
type Exchange struct {
	HTTPStatus int
	Response   []byte
	Duration   time.Duration
}

// call posts an envelope and returns the response body. SOAP faults come
// back as HTTP 500 with a body; those are returned with err == nil for the
// decoder to turn into *Fault.
func (c *Client) call(ctx context.Context, req *Request) (Exchange, error) {
	start := time.Now()
	u := c.base.JoinPath(req.Operation.Path)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(req.Envelope))
	if err != nil {
		return Exchange{}, fmt.Errorf("giszhkh: %s: %w", req.Operation.Name, err)
	}
	hr.Header.Set("Content-Type", "text/xml; charset=utf-8")
	hr.Header.Set("SOAPAction", `"`+req.Operation.SOAPAction+`"`)
	if c.cfg.User != "" {
		hr.SetBasicAuth(c.cfg.User, c.cfg.Password)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return Exchange{Duration: time.Since(start)}, fmt.Errorf("giszhkh: %s: %w", req.Operation.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	ex := Exchange{HTTPStatus: resp.StatusCode, Response: body, Duration: time.Since(start)}
	if err != nil {
		return ex, fmt.Errorf("giszhkh: %s: read response: %w", req.Operation.Name, err)
	}
	if len(body) > maxResponse {
		// Decoding a cut answer would only report an XML syntax error.
		ex.Response = body[:4096]
		return ex, fmt.Errorf("giszhkh: %s: the answer exceeds %d MB; ask for less per message", req.Operation.Name, maxResponse>>20)
	}
	isXML := strings.Contains(resp.Header.Get("Content-Type"), "xml")
	if resp.StatusCode != http.StatusOK && !(resp.StatusCode == http.StatusInternalServerError && isXML) {
		return ex, &HTTPError{Status: resp.StatusCode, Body: string(body)}
	}
	return ex, nil
}

// Send posts a signed request and decodes the Ack. Errors are *Fault,
// *HTTPError or transport errors; see Classify.
func (c *Client) Send(ctx context.Context, req *Request) (Ack, Exchange, error) {
	ex, err := c.call(ctx, req)
	if err != nil {
		return Ack{}, ex, err
	}
	ack, err := DecodeAck(ex.Response)
	if err != nil {
		return Ack{}, ex, err
	}
	if ack.RequesterMessageGUID != "" && !strings.EqualFold(ack.RequesterMessageGUID, req.MessageGUID) {
		return Ack{}, ex, fmt.Errorf("giszhkh: Ack answers message %s, we sent %s", ack.RequesterMessageGUID, req.MessageGUID)
	}
	return ack, ex, nil
}

// GetState asks for the state of a message (a request built by
// Builder.GetState).
func (c *Client) GetState(ctx context.Context, req *Request) (*State, Exchange, error) {
	ex, err := c.call(ctx, req)
	if err != nil {
		return nil, ex, err
	}
	if c.cfg.Answers != nil {
		if err := c.cfg.Answers.Verify(ctx, ex.Response); err != nil {
			return nil, ex, err
		}
	}
	st, err := DecodeState(req.Operation.Service, ex.Response)
	return st, ex, err
}

// Disposition says what to do after a failed call.
type Disposition int

// Dispositions, from the error policy of the research note.
const (
	// Stop: a permanent error (AUT…, FMT…, unknown faults); alert an operator.
	Stop Disposition = iota
	// Resend: transient (EXP001000, HTTP 502/503/504, timeouts, connection
	// errors); send again as a new message after a backoff.
	Resend
	// Lost: GIS does not know the message (INT002013); send it again.
	Lost
)

// Classify applies the error policy to an error from Send or GetState.
func Classify(err error) Disposition {
	var f *Fault
	if errors.As(err, &f) {
		switch {
		case f.Code == CodeTransferFailure, strings.HasPrefix(f.Code, "EXP"):
			return Resend
		case f.Code == CodeUnknownMessage:
			return Lost
		default:
			return Stop
		}
	}
	var he *HTTPError
	if errors.As(err, &he) {
		switch he.Status {
		case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
			return Resend
		}
		return Stop
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, io.EOF) || strings.Contains(fmt.Sprint(err), "connection reset") {
		return Resend
	}
	return Stop
}
