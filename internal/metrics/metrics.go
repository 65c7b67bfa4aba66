// Package metrics holds zhkhgate's Prometheus instruments in one explicit
// registry (no global state): HTTP latency, external calls, and River job
// counts by kind and state gathered at scrape time.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/zhkhgate/zhkhgate/internal/store"
)

// Metrics is the set of instruments, created once in main and passed down.
type Metrics struct {
	Registry *prometheus.Registry
	// HTTPDuration observes served requests by route pattern, method and status.
	HTTPDuration *prometheus.HistogramVec
	// ExternalCalls counts calls to outside systems by system, operation and outcome.
	ExternalCalls *prometheus.CounterVec
	// ExternalDuration observes calls to outside systems by system and operation.
	ExternalDuration *prometheus.HistogramVec
}

// New builds the instruments. db, when not nil, adds a collector of River
// job counts by kind, queue and state.
func New(db store.DBTX, logger *slog.Logger) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zhkhgate_http_request_duration_seconds", Help: "HTTP requests served, by route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		ExternalCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "zhkhgate_external_calls_total", Help: "Calls to external systems (GIS ZhKH, ESIA, mail), by outcome.",
		}, []string{"system", "operation", "outcome"}),
		ExternalDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "zhkhgate_external_call_duration_seconds", Help: "Latency of calls to external systems.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 180},
		}, []string{"system", "operation"}),
	}
	m.Registry.MustRegister(m.HTTPDuration, m.ExternalCalls, m.ExternalDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if db != nil {
		m.Registry.MustRegister(&jobCollector{db: db, logger: logger})
	}
	return m
}

// ObserveExternal records one call to an outside system.
func (m *Metrics) ObserveExternal(system, operation string, started time.Time, err error) {
	if m == nil {
		return
	}
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.ExternalCalls.WithLabelValues(system, operation, outcome).Inc()
	m.ExternalDuration.WithLabelValues(system, operation).Observe(time.Since(started).Seconds())
}

// Transport wraps next (http.DefaultTransport when nil) so that every
// request to an outside system is counted and timed. The operation label is
// the SOAP action ("importAccountData") or else the URL path, so label
// values stay few. A nil m returns next unchanged.
func (m *Metrics) Transport(system string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	if m == nil {
		return next
	}
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		op := strings.Trim(strings.TrimPrefix(strings.Trim(r.Header.Get("SOAPAction"), `"`), "urn:"), "/")
		if op == "" {
			op = pathLabel(r.URL.Path)
		}
		start := time.Now()
		resp, err := next.RoundTrip(r)
		if err == nil && resp.StatusCode >= 500 {
			m.ObserveExternal(system, op, start, fmt.Errorf("HTTP %d", resp.StatusCode))
		} else {
			m.ObserveExternal(system, op, start, err)
		}
		return resp, err
	})
}

// pathLabel replaces numeric path segments ("/rs/prns/1000299654/ctts") by
// "{id}", so a person's id never becomes a label value.
func pathLabel(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if s != "" && strings.Trim(s, "0123456789") == "" {
			parts[i] = "{id}"
		}
	}
	return strings.Join(parts, "/")
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Instrument wraps h to observe its latency under the route label.
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.HTTPDuration.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Observe(time.Since(start).Seconds())
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

var jobsDesc = prometheus.NewDesc("zhkhgate_jobs", "River jobs by kind, queue and state.", []string{"kind", "queue", "state"}, nil)

type jobCollector struct {
	db     store.DBTX
	logger *slog.Logger
}

func (c *jobCollector) Describe(ch chan<- *prometheus.Desc) { ch <- jobsDesc }

func (c *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := store.JobCounts(ctx, c.db)
	if err != nil {
		c.logger.Warn("metrics: count jobs", "error", err)
		return
	}
	for _, jc := range counts {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(jc.Count), jc.Kind, jc.Queue, jc.State)
	}
}
