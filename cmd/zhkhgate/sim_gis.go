package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// gisSimOptions say how to run the GIS ZhKH simulator.
type gisSimOptions struct {
	Addr    string // loopback host:port
	Dir     string // the demo operator key pair lives in Dir/operator
	SpecDir string // official schemas
	Trust   []string
	Orgs    []string
	World   sim.World // what GIS holds before the exchange
	Delay   time.Duration
	Faults  sim.Faults
	// User and Password, when set, are required as HTTP Basic auth, as on
	// the GIS test stands.
	User, Password string
	Logger         *slog.Logger
}

// gisSim is a running simulator and what the gateway needs to use it.
type gisSim struct {
	URL               string
	KeyFile, CertFile string // the demo operator credentials (empty when --trust was given)
	// ServerCert is the simulator's own certificate, which signs its
	// answers; the gateway pins it (ZHKHGATE_GIS_SERVER_CERTS).
	ServerCert     string
	Server         *sim.Server
	user, password string
}

// startGISSim starts the simulator in the background until ctx ends.
func startGISSim(ctx context.Context, o gisSimOptions) (*gisSim, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return nil, apperr.Invalidf("sim gis", "address %q must be a loopback IP and port, e.g. 127.0.0.1:8092", o.Addr)
	}
	tool, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{})
	if err != nil {
		return nil, err
	}
	out := &gisSim{}
	trust := o.Trust
	if len(trust) == 0 {
		dir := filepath.Join(o.Dir, "operator")
		out.KeyFile, out.CertFile = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
		if _, err := os.Stat(out.CertFile); errors.Is(err, os.ErrNotExist) {
			if _, err := tool.GenerateTestCredentials(ctx, dir, "GIS demo operator"); err != nil {
				return nil, fmt.Errorf("sim gis: demo operator key: %w", err)
			}
		}
		trust = []string{out.CertFile}
	}
	var certs []*gost.Certificate
	for _, f := range trust {
		c, err := gost.LoadCertificate(f)
		if err != nil {
			return nil, apperr.Invalidf("sim gis", "trusted certificate: %v", err)
		}
		certs = append(certs, c)
	}
	// The simulator signs its answers as GIS does, with a key of its own.
	serverDir := filepath.Join(o.Dir, "server")
	serverKey := filepath.Join(serverDir, "key.pem")
	out.ServerCert = filepath.Join(serverDir, "cert.pem")
	if _, err := os.Stat(out.ServerCert); errors.Is(err, os.ErrNotExist) {
		if _, err := tool.GenerateTestCredentials(ctx, serverDir, "GIS ZhKH simulator"); err != nil {
			return nil, fmt.Errorf("sim gis: simulator key: %w", err)
		}
	}
	sign, err := tool.LoadSigner(ctx, serverKey, out.ServerCert)
	if err != nil {
		return nil, fmt.Errorf("sim gis: simulator key: %w", err)
	}
	s, err := sim.New(sim.Config{SpecDir: o.SpecDir, Trusted: certs, Crypto: tool, Sign: sign, Orgs: o.Orgs, World: o.World, Delay: o.Delay,
		Faults: o.Faults, Seed: 1, User: o.User, Password: o.Password, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, fmt.Errorf("sim gis: listen on %s: %w", o.Addr, err)
	}
	out.URL, out.Server, out.user, out.password = "http://"+ln.Addr().String(), s, o.User, o.Password
	hs := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return out, nil
}

// env lists the gateway variables that point it at this simulator.
func (s *gisSim) env() []string {
	vars := []string{"ZHKHGATE_GIS_URL=" + s.URL, "ZHKHGATE_GIS_SERVER_CERTS=" + s.ServerCert}
	if s.user != "" {
		vars = append(vars, "ZHKHGATE_GIS_USER="+s.user, "ZHKHGATE_GIS_PASSWORD="+s.password)
	}
	if s.KeyFile != "" {
		vars = append(vars, "ZHKHGATE_GIS_KEY="+s.KeyFile, "ZHKHGATE_GIS_CERT="+s.CertFile)
	}
	return vars
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func cmdSimGIS(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sim gis", "sim gis [flags]\n\nRuns the GIS ZhKH simulator on loopback at the real service paths. It validates every request\n"+
		"against the official XSD, checks the XAdES signature against trusted certificates, answers Ack,\n"+
		"then RequestState 1 → 2 → 3, keeps accounts, meters, readings, documents and payments, and injects\n"+
		"faults on demand. Without -trust it creates a demo operator key pair in DIR/operator and trusts it.\n"+
		"With -world it starts from what GIS already holds (`zhkhgate gis world --out FILE` writes one from the store).")
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	o := gisSimOptions{}
	var trust, orgs, world string
	var outageFor time.Duration
	fs.StringVar(&o.Addr, "addr", cfg.Sim.GISAddr, "loopback address to listen on")
	fs.StringVar(&o.Dir, "dir", filepath.Join(cfg.DataDir, "gis"), "directory of the demo operator key pair")
	fs.StringVar(&o.SpecDir, "spec", cfg.Sim.GISSpec, "directory of the official WSDL/XSD")
	fs.StringVar(&trust, "trust", "", "comma-separated PEM certificates whose signatures are accepted")
	fs.StringVar(&orgs, "orgs", "", "comma-separated orgPPAGUIDs the simulator knows besides the world's (both empty: any)")
	fs.StringVar(&world, "world", "", "JSON file of the organizations, houses and premises GIS holds at the start")
	fs.DurationVar(&o.Delay, "delay", 2*time.Second, "processing time: state 1, then 2 after half, 3 after all of it")
	fs.Float64Var(&o.Faults.EXPRate, "exp-rate", 0, "share of requests answered with fault EXP001000 (0..1)")
	fs.Float64Var(&o.Faults.HTTP502Rate, "http502-rate", 0, "share of calls answered with HTTP 502 (0..1)")
	fs.DurationVar(&o.Faults.Latency, "latency", 0, "added before every answer")
	fs.DurationVar(&outageFor, "outage", 0, "answer HTTP 503 for this long from the start")
	fs.StringVar(&o.User, "user", "", "require HTTP Basic auth with this user (and -password)")
	fs.StringVar(&o.Password, "password", "", "password for -user")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() > 0 {
		return apperr.Invalidf("sim gis", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	for _, r := range []float64{o.Faults.EXPRate, o.Faults.HTTP502Rate} {
		if r < 0 || r > 1 {
			return apperr.Invalidf("sim gis", "fault rates must be between 0 and 1, got %v", r)
		}
	}
	if outageFor > 0 {
		o.Faults.OutageFrom, o.Faults.OutageTo = time.Now(), time.Now().Add(outageFor)
	}
	o.Trust, o.Orgs = splitList(trust), splitList(orgs)
	if world != "" {
		if o.World, err = sim.LoadWorld(world); err != nil {
			return apperr.Wrap(apperr.Invalid, "sim gis", err)
		}
	}
	o.Logger = cfg.Log.Logger(env.Stderr)
	s, err := startGISSim(ctx, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "GIS ZhKH simulator listening on %s (delay %s, EXP001000 %.0f%%, HTTP 502 %.0f%%)\n",
		s.URL, o.Delay, o.Faults.EXPRate*100, o.Faults.HTTP502Rate*100)
	if world != "" {
		fmt.Fprintf(env.Stdout, "World %s: %d organizations, %d houses\n", world, len(o.World.Orgs), len(o.World.Houses))
	}
	fmt.Fprintln(env.Stdout, "\nPoint the gateway at it with:")
	for _, kv := range s.env() {
		fmt.Fprintf(env.Stdout, "  export %s\n", kv)
	}
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

// gisDemoService runs the simulator for `zhkhgate demo` with fast polling,
// seeded with the demo's organizations, houses and premises (the demo
// center is loaded by then). Unless the operator configured GIS ZhKH, the
// GIS section of the configuration becomes the simulator's, as if the
// variables had been set.
func gisDemoService() demoService {
	return demoService{name: "GIS ZhKH simulator", start: func(ctx context.Context, a *app) (string, error) {
		world, skipped, err := worldFromStore(ctx, a.pool, 0)
		if err != nil {
			return "", err
		}
		if len(skipped) > 0 {
			a.logger.Warn("GIS simulator world: organizations left out", "skipped", strings.Join(skipped, "; "))
		}
		s, err := startGISSim(ctx, gisSimOptions{Addr: a.cfg.Sim.GISAddr,
			Dir: filepath.Join(a.cfg.DataDir, "gis"), SpecDir: a.cfg.Sim.GISSpec,
			Delay: 500 * time.Millisecond, World: world, Logger: a.logger})
		if err != nil {
			return "", err
		}
		if a.cfg.GIS.On() {
			a.logger.Info("GIS ZhKH is configured (ZHKHGATE_GIS_URL): the demo does not point it at its simulator", "url", a.cfg.GIS.URL)
			return s.URL + "/", nil
		}
		a.cfg.GIS = config.GIS{URL: s.URL, KeyFile: s.KeyFile, CertFile: s.CertFile, ServerCerts: s.ServerCert, User: s.user, Password: s.password,
			BankBIK: "045773603", BankAccount: "40702810049770012345",
			Poll: []time.Duration{time.Second, 2 * time.Second, 5 * time.Second}, ResendAfter: 2 * time.Second,
			Timeout: config.DefaultGISTimeout}
		return s.URL + "/", nil
	}}
}
