package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/config"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
)

// Demo credentials of the acquiring simulator started by `zhkhgate demo`.
const (
	demoAcquiringUser     = "zhkhgate-demo-api"
	demoAcquiringPassword = "demo-password"
	demoAcquiringSecret   = "demo-callback-secret"
)

// onlinePayFromConfig builds online payment: the acquiring client and the
// service that registers orders and applies callbacks; origin is the
// payment page's origin, which the cabinet's forms may post to.
func onlinePayFromConfig(cfg config.Acquiring, pool *pgxpool.Pool, transport http.RoundTripper, logger *slog.Logger) (*onlinepay.Service, string, error) {
	c, err := acquiring.New(acquiring.Config{BaseURL: cfg.URL, UserName: cfg.User, Password: cfg.Password, Secret: []byte(cfg.Secret),
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: transport}})
	if err != nil {
		return nil, "", apperr.Invalidf("config", "ZHKHGATE_ACQUIRING_URL: %v", err)
	}
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, "", apperr.Invalidf("config", "ZHKHGATE_ACQUIRING_URL: %v", err)
	}
	return &onlinepay.Service{Pool: pool, Gateway: c, Logger: logger}, u.Scheme + "://" + u.Host, nil
}

// acquiringSimOptions say how to run the acquiring simulator.
type acquiringSimOptions struct {
	Addr                   string
	User, Password, Secret string
	CallbackURL            string
	Faults                 sim.Faults
	PublicURL              string
}

// startAcquiringSim runs the simulator on loopback in the background until ctx ends and returns its URL.
func startAcquiringSim(ctx context.Context, o acquiringSimOptions) (string, *sim.Server, error) {
	host, _, err := net.SplitHostPort(o.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return "", nil, apperr.Invalidf("sim acquiring", "address %q must be a loopback IP and port, e.g. 127.0.0.1:8093", o.Addr)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return "", nil, fmt.Errorf("sim acquiring: listen on %s: %w", o.Addr, err)
	}
	base := "http://" + ln.Addr().String()
	s, err := sim.New(sim.Config{UserName: o.User, Password: o.Password, Secret: []byte(o.Secret), PublicURL: base,
		CallbackURL: o.CallbackURL, Faults: o.Faults})
	if err != nil {
		ln.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}()
	return base, s, nil
}

// parseFaults reads "duplicate,lose,out-of-order,bad-checksum,hold".
func parseFaults(s string, delay time.Duration) (sim.Faults, error) {
	f := sim.Faults{Delay: delay}
	for _, name := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		switch name {
		case "duplicate":
			f.Duplicate = true
		case "lose":
			f.Lose = true
		case "out-of-order":
			f.OutOfOrder = true
		case "bad-checksum":
			f.BadChecksum = true
		default:
			return f, apperr.Invalidf("sim acquiring", "--faults: %q is not one of duplicate, lose, out-of-order, bad-checksum", name)
		}
	}
	return f, nil
}

func cmdSimAcquiring(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "sim acquiring", "sim acquiring [flags]\n\nRuns an internet-acquiring gateway simulator on loopback in the shape of Sber's payment gateway:\nregister.do, a payment page with test cards and an СБП QR code, signed callbacks (with faults on demand),\ngetOrderStatusExtended.do and refund.do.")
	cfg, err := loadConfig(env)
	if err != nil {
		return err
	}
	o := acquiringSimOptions{}
	var faults string
	var delay time.Duration
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8093", "loopback address to listen on")
	fs.StringVar(&o.User, "user", demoAcquiringUser, "merchant API login the simulator accepts")
	fs.StringVar(&o.Password, "password", demoAcquiringPassword, "merchant API password")
	fs.StringVar(&o.Secret, "secret", demoAcquiringSecret, "callback checksum key")
	fs.StringVar(&o.CallbackURL, "callback-url", cfg.HTTP.PublicURL+"/acquiring/callback", "merchant's callback URL (register.do may name another)")
	fs.StringVar(&faults, "faults", "", "callback faults: duplicate, lose, out-of-order, bad-checksum (comma-separated)")
	fs.DurationVar(&delay, "delay", 0, "send callbacks this late")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	if fs.NArg() > 0 {
		return apperr.Invalidf("sim acquiring", "unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	if o.Faults, err = parseFaults(faults, delay); err != nil {
		return err
	}
	base, _, err := startAcquiringSim(ctx, o)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintf(w, "Acquiring simulator listening on %s\n", base)
	fmt.Fprintf(w, "  test cards  %s paid, %s declined, %s 3-D Secure (code %s)\n", sim.CardSuccess, sim.CardDeclined, sim.Card3DS, sim.ACSCode)
	fmt.Fprintln(w, "\nPoint the gateway at it with:")
	for _, kv := range acquiringEnv(base, o) {
		fmt.Fprintf(w, "  export %s\n", kv)
	}
	<-ctx.Done()
	if errors.Is(ctx.Err(), context.Canceled) {
		return nil
	}
	return ctx.Err()
}

func acquiringEnv(base string, o acquiringSimOptions) []string {
	return []string{"ZHKHGATE_ACQUIRING_URL=" + base, "ZHKHGATE_ACQUIRING_USER=" + o.User,
		"ZHKHGATE_ACQUIRING_PASSWORD=" + o.Password, "ZHKHGATE_ACQUIRING_SECRET=" + o.Secret}
}

// acquiringDemoService runs the simulator for `zhkhgate demo` and points
// online payment at it, unless ZHKHGATE_ACQUIRING_URL names another gateway.
func acquiringDemoService() demoService {
	return demoService{name: "acquiring simulator", start: func(ctx context.Context, a *app) (string, error) {
		o := acquiringSimOptions{Addr: a.cfg.Sim.AcquiringAddr,
			User: demoAcquiringUser, Password: demoAcquiringPassword, Secret: demoAcquiringSecret,
			CallbackURL: a.cfg.HTTP.PublicURL + "/acquiring/callback"}
		base, _, err := startAcquiringSim(ctx, o)
		if err != nil {
			return "", err
		}
		if a.cfg.Acquiring.On() {
			a.logger.Info("online payment is configured (ZHKHGATE_ACQUIRING_URL): the demo does not point it at its simulator", "url", a.cfg.Acquiring.URL)
			return base + "/", nil
		}
		a.cfg.Acquiring = config.Acquiring{URL: base, User: o.User, Password: o.Password, Secret: o.Secret}
		return base + "/", nil
	}}
}
