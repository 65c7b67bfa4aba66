package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/cabinet"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gost"
	"github.com/zhkhgate/zhkhgate/internal/intake"
	"github.com/zhkhgate/zhkhgate/internal/web"
	"github.com/zhkhgate/zhkhgate/jobs"
)

// newWebServer builds the web server with the residents' cabinet mounted at "/".
func (a *app) newWebServer(ctx context.Context, jobsClient *jobs.Client) (*web.Server, error) {
	deps := a.webDeps(jobsClient)
	cab, err := a.cabinet()
	if err != nil {
		return nil, err
	}
	deps.Cabinet = cab
	if deps.Intake, err = a.newIntake(jobsClient, intake.Config{}); err != nil {
		return nil, err
	}
	return web.New(web.Config{SecureCookies: a.cfg.HTTP.SecureCookies}, deps)
}

// cabinet builds the residents' cabinet from the wired mailer and ESIA
// client and the Cabinet section of the configuration.
func (a *app) cabinet() (http.Handler, error) {
	if a.deps == nil {
		return nil, fmt.Errorf("cabinet: dependencies not built (wire)")
	}
	deps := cabinet.Deps{Pool: a.pool, Mailer: a.deps.mailer, Logger: a.logger, OnlinePay: a.deps.pay}
	if a.deps.esia != nil {
		deps.ESIA = a.deps.esia
	}
	c, err := cabinet.New(cabinet.Config{BaseURL: a.cfg.HTTP.PublicURL, SecureCookies: a.cfg.HTTP.SecureCookies,
		DemoHints: a.cfg.Cabinet.DemoHints, TrustedProxies: a.cfg.Cabinet.TrustedProxies, PaymentOrigin: a.deps.payOrigin}, deps)
	if err != nil {
		return nil, err
	}
	return c.Handler(), nil
}

// esiaFromConfig builds the ESIA client: the system's signer, the pinned
// token certificates, and an HTTP client trusting the extra CA if any.
func esiaFromConfig(ctx context.Context, cfg config.ESIA, publicURL string, tool *gost.OpenSSL, transport func(http.RoundTripper) http.RoundTripper) (*esia.Client, error) {
	signer, err := tool.LoadSigner(ctx, cfg.ClientKey, cfg.ClientCert)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CLIENT_KEY/ZHKHGATE_ESIA_CLIENT_CERT: %v", err)
	}
	hash, err := gost.CertificateHash(ctx, tool, signer.Certificate())
	if err != nil {
		return nil, err
	}
	pemData, err := os.ReadFile(cfg.Certs)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CERTS: %v", err)
	}
	pinned, err := esia.ParseCertificates(pemData)
	if err != nil {
		return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CERTS %s: %v", cfg.Certs, err)
	}
	httpClient := &http.Client{Timeout: 30 * time.Second}
	if cfg.CA != "" {
		// The ESIA test stand's TLS chain ends at a Russian CA Debian does not ship.
		ca, err := os.ReadFile(cfg.CA)
		if err != nil {
			return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CA: %v", err)
		}
		pool, _ := x509.SystemCertPool()
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(ca) {
			return nil, apperr.Invalidf("config", "ZHKHGATE_ESIA_CA %s: no PEM certificate", cfg.CA)
		}
		httpClient.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	httpClient.Transport = transport(httpClient.Transport)
	var signWith esia.Signer = signer
	if cfg.Legacy {
		signWith = gost.CMSSignerOf(tool, signer)
	}
	return esia.New(esia.Config{BaseURL: cfg.URL, Issuer: cfg.Issuer, ClientID: cfg.ClientID, RedirectURL: publicURL + "/esia/callback",
		Scopes: cfg.Scopes, CertificateHash: hash, ESIACertificates: pinned, Legacy: cfg.Legacy, HTTPClient: httpClient}, signWith, tool)
}
