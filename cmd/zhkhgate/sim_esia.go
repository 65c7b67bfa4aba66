package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// esiaSimOptions say how to run the ESIA simulator.
type esiaSimOptions struct {
	Addr        string // loopback host:port
	Dir         string // simulator key (Dir/sim) and, unless ClientCert is set, the demo client key (Dir/client)
	ClientID    string
	RedirectURI string
	ClientCert  string // registered client certificate (PEM); default Dir/client/cert.pem, created if absent
	RS256       bool
}

// esiaSim is a running simulator and what a client needs to talk to it.
type esiaSim struct {
	URL, Issuer   string
	CertsFile     string // the published token certificates, to pin
	ClientKeyFile string // empty when the client certificate came from outside
	ClientCert    string
	Hash          string
}

// startESIASim starts the simulator in the background until ctx ends.
func startESIASim(ctx context.Context, o esiaSimOptions) (*esiaSim, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, apperr.Invalidf("sim esia", "address %q must be a loopback IP and port, e.g. 127.0.0.1:8091", o.Addr)
	}
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		return nil, err
	}
	issuer, err := sim.LoadOrCreateKey(ctx, tool, filepath.Join(o.Dir, "sim"), "ESIA simulator")
	if err != nil {
		return nil, fmt.Errorf("sim esia: signing key: %w", err)
	}
	out := &esiaSim{ClientCert: o.ClientCert}
	if out.ClientCert == "" {
		if _, err := sim.LoadOrCreateKey(ctx, tool, filepath.Join(o.Dir, "client"), o.ClientID+" client"); err != nil {
			return nil, fmt.Errorf("sim esia: demo client key: %w", err)
		}
		out.ClientKeyFile = filepath.Join(o.Dir, "client", "key.pem")
		out.ClientCert = filepath.Join(o.Dir, "client", "cert.pem")
	}
	clientCert, err := gost.LoadCertificate(out.ClientCert)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sim esia: listen on %s: %w", o.Addr, err)
	}
	out.URL = "http://" + ln.Addr().String()
	out.Issuer = out.URL + "/"
	cfg := sim.Config{Issuer: out.Issuer, Citizens: sim.DemoCitizens, GOST: issuer, Crypto: tool,
		Clients: []sim.Client{{ID: o.ClientID, Certificate: clientCert, RedirectURIs: []string{o.RedirectURI}}}}
	if o.RS256 {
		cfg.RSAKey, cfg.RSACert, err = sim.RSAKey()
		if err != nil {
			ln.Close()
			return nil, err
		}
		cfg.Clients[0].TokenAlg = esia.AlgRS256
	}
	s, err := sim.New(ctx, cfg)
	if err != nil {
		ln.Close()
		return nil, err
	}
	out.Hash = s.CertificateHash(o.ClientID)
	out.CertsFile = filepath.Join(o.Dir, "esia.pem")
	if err := os.WriteFile(out.CertsFile, s.CertificatesPEM(), 0o644); err != nil {
		ln.Close()
		return nil, fmt.Errorf("sim esia: publish certificates: %w", err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	return out, nil
}

func cmdSimESIA(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sim esia", "sim esia [flags]\n\nRuns the ESIA (Gosuslugi) simulator on loopback: /aas/oauth2/v2/ac, /aas/oauth2/v3/te, /rs/prns,\n/idp/ext/Logout, with demo citizens. It checks client secrets as ESIA does and signs tokens with its\nown GOST key (created on first run); the certificates to pin are written to DIR/esia.pem.")
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	o := esiaSimOptions{}
	fs.StringVar(&o.Addr, "addr", cfg.Sim.ESIAAddr, "loopback address to listen on")
	fs.StringVar(&o.Dir, "dir", filepath.Join(cfg.DataDir, "esia"), "directory of the simulator's keys and published certificates")
	fs.StringVar(&o.ClientID, "client-id", sim.DemoClientID, "mnemonic of the registered system")
	fs.StringVar(&o.RedirectURI, "redirect-uri", cfg.HTTP.PublicURL+"/esia/callback", "registered redirect URI of the system")
	fs.StringVar(&o.ClientCert, "client-cert", "", "registered client certificate, PEM (default: a demo key pair in DIR/client)")
	fs.BoolVar(&o.RS256, "rs256", false, "sign tokens with RS256 instead of GOST3410_2012_256")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() > 0 {
		return apperr.Invalidf("sim esia", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	s, err := startESIASim(ctx, o)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "ESIA simulator listening on %s\n", s.URL)
	fmt.Fprintf(w, "  issuer                   %s\n", s.Issuer)
	fmt.Fprintf(w, "  client                   %s, redirect %s\n", o.ClientID, o.RedirectURI)
	fmt.Fprintf(w, "  client_certificate_hash  %s\n", s.Hash)
	fmt.Fprintf(w, "  certificates to pin      %s\n", s.CertsFile)
	fmt.Fprintln(w, "\nPoint the gateway at it with:")
	for _, kv := range s.env(o.ClientID) {
		fmt.Fprintf(w, "  export %s\n", kv)
	}
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// env lists the gateway variables that connect the cabinet to this simulator.
func (s *esiaSim) env(clientID string) []string {
	vars := []string{
		"ZHKHGATE_ESIA_URL=" + s.URL,
		"ZHKHGATE_ESIA_ISSUER=" + s.Issuer,
		"ZHKHGATE_ESIA_CLIENT_ID=" + clientID,
		"ZHKHGATE_ESIA_CERTS=" + s.CertsFile,
		"ZHKHGATE_ESIA_CLIENT_CERT=" + s.ClientCert,
	}
	if s.ClientKeyFile != "" {
		vars = append(vars, "ZHKHGATE_ESIA_CLIENT_KEY="+s.ClientKeyFile)
	}
	return vars
}

// esiaDemoService runs the simulator for `zhkhgate demo` and points the
// cabinet at it: the ESIA section of the configuration becomes the
// simulator's, as if an operator had set the variables, and demo hints go on.
func esiaDemoService() demoService {
	return demoService{name: "ESIA simulator", start: func(ctx context.Context, a *app) (string, error) {
		s, err := startESIASim(ctx, esiaSimOptions{Addr: a.cfg.Sim.ESIAAddr,
			Dir: filepath.Join(a.cfg.DataDir, "esia"), ClientID: sim.DemoClientID,
			RedirectURI: a.cfg.HTTP.PublicURL + "/esia/callback"})
		if err != nil {
			return "", err
		}
		a.cfg.ESIA = config.ESIA{URL: s.URL, Issuer: s.Issuer, ClientID: sim.DemoClientID, Certs: s.CertsFile,
			ClientCert: s.ClientCert, ClientKey: s.ClientKeyFile}
		a.cfg.Cabinet.DemoHints = true
		return s.URL + "/", nil
	}}
}
