package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/mail"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// newWebServer builds the web server with the residents' cabinet mounted at "/".
func (a *app) newWebServer(ctx context.Context, jobsClient *jobs.Client) (*web.Server, error) {
	deps := a.webDeps(jobsClient)
	cab, err := a.cabinet(ctx)
	if err != nil {
		return nil, err
	}
	deps.Cabinet = cab
	if deps.Intake, err = a.newIntake(jobsClient, intake.Config{}); err != nil {
		return nil, err
	}
	return web.New(web.Config{SecureCookies: a.cfg.SecureCookies}, deps)
}

// mailer is the residents' mail from ZHKHGATE_SMTP_*: SMTP, or captured in the database when
// ZHKHGATE_SMTP_ADDR is unset. The cabinet and the notify_mail job share it.
func (a *app) mailer() (mail.Mailer, error) {
	get := a.env.Getenv
	addr := get("ZHKHGATE_SMTP_ADDR")
	if addr == "" {
		return &mail.Capture{DB: a.pool}, nil
	}
	from := get("ZHKHGATE_SMTP_FROM")
	if from == "" {
		return nil, apperr.Invalidf("config", "ZHKHGATE_SMTP_FROM is required with ZHKHGATE_SMTP_ADDR")
	}
	return &mail.Logged{DB: a.pool,
		Next: &mail.SMTP{Addr: addr, From: from, Username: get("ZHKHGATE_SMTP_USER"), Password: get("ZHKHGATE_SMTP_PASSWORD")}}, nil
}

// cabinet builds the residents' cabinet from ZHKHGATE_ESIA_*, ZHKHGATE_SMTP_* and
// ZHKHGATE_CABINET_* variables (README lists them).
func (a *app) cabinet(ctx context.Context) (http.Handler, error) {
	get := a.env.Getenv
	mailer, err := a.mailer()
	if err != nil {
		return nil, err
	}
	if get("ZHKHGATE_SMTP_ADDR") == "" {
		a.logger.Info("mail to residents is captured, not sent (ZHKHGATE_SMTP_ADDR unset); see /admin/mail")
	}
	hints := false
	if v := get("ZHKHGATE_CABINET_DEMO_HINTS"); v != "" {
		var err error
		if hints, err = strconv.ParseBool(v); err != nil {
			return nil, apperr.Invalidf("config", "ZHKHGATE_CABINET_DEMO_HINTS=%q: want true or false", v)
		}
	}
	var proxies []netip.Prefix
	for _, s := range strings.FieldsFunc(get("ZHKHGATE_CABINET_TRUSTED_PROXIES"), func(r rune) bool { return r == ',' || r == ' ' }) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, apperr.Invalidf("config", "ZHKHGATE_CABINET_TRUSTED_PROXIES: %q is not a CIDR prefix like 10.0.0.0/8", s)
		}
		proxies = append(proxies, p)
	}
	deps := cabinet.Deps{Pool: a.pool, Mailer: mailer, Logger: a.logger}
	client, err := a.esiaClient(ctx)
	if err != nil {
		return nil, err
	}
	if client != nil {
		deps.ESIA = client
	}
	c, err := cabinet.New(cabinet.Config{BaseURL: a.cfg.publicURL(), SecureCookies: a.cfg.SecureCookies, DemoHints: hints,
		TrustedProxies: proxies}, deps)
	if err != nil {
		return nil, err
	}
	return c.Handler(), nil
}

// esiaClient builds the ESIA client, or returns nil when ZHKHGATE_ESIA_URL is unset.
func (a *app) esiaClient(ctx context.Context) (*esia.Client, error) {
	get := a.env.Getenv
	base := get("ZHKHGATE_ESIA_URL")
	if base == "" {
		a.logger.Info("ESIA login is off (ZHKHGATE_ESIA_URL unset)")
		return nil, nil
	}
	need := func(name string) (string, error) {
		v := get(name)
		if v == "" {
			return "", apperr.Invalidf("config", "%s is required when ZHKHGATE_ESIA_URL is set", name)
		}
		return v, nil
	}
	var vals [5]string
	for i, n := range []string{"ZHKHGATE_ESIA_ISSUER", "ZHKHGATE_ESIA_CLIENT_ID", "ZHKHGATE_ESIA_CLIENT_KEY", "ZHKHGATE_ESIA_CLIENT_CERT", "ZHKHGATE_ESIA_CERTS"} {
		v, err := need(n)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	issuer, clientID, keyFile, certFile, certsFile := vals[0], vals[1], vals[2], vals[3], vals[4]
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		return nil, err
	}
	signer, err := tool.LoadSigner(ctx, keyFile, certFile)
	if err != nil {
		return nil, fmt.Errorf("ZHKHGATE_ESIA_CLIENT_KEY/CERT: %w", err)
	}
	hash, err := gost.CertificateHash(ctx, tool, signer.Certificate())
	if err != nil {
		return nil, err
	}
	pemData, err := os.ReadFile(certsFile)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CERTS: %v", err)
	}
	pinned, err := esia.ParseCertificates(pemData)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CERTS %s: %v", certsFile, err)
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	if caFile := get("ZHKHGATE_ESIA_CA"); caFile != "" {
		// The ESIA test stand's TLS chain ends at a Russian CA Debian does not ship.
		ca, err := os.ReadFile(caFile)
		if err != nil {
			return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CA: %v", err)
		}
		pool, _ := x509.SystemCertPool()
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CA %s: no PEM certificate", caFile)
		}
		httpClient.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	httpClient.Transport = a.metrics.Transport("esia", httpClient.Transport)
	legacy, _ := strconv.ParseBool(get("ZHKHGATE_ESIA_LEGACY"))
	var scopes []string
	if s := get("ZHKHGATE_ESIA_SCOPES"); s != "" {
		scopes = strings.Fields(s)
	}
	var signWith esia.Signer = signer
	if legacy {
		signWith = gost.CMSSignerOf(tool, signer)
	}
	return esia.New(esia.Config{BaseURL: base, Issuer: issuer, ClientID: clientID, RedirectURL: a.cfg.publicURL() + "/esia/callback",
		Scopes: scopes, CertificateHash: hash, ESIACertificates: pinned, Legacy: legacy, HTTPClient: httpClient}, signWith, tool)
}
