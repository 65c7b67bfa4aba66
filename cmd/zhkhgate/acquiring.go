package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
	"github.com/zhkhgate/zhkhgate/connectors/acquiring/sim"
	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/onlinepay"
)

// The acquiring variables: all four or none.
var acquiringVars = []string{"ZHKHGATE_ACQUIRING_URL", "ZHKHGATE_ACQUIRING_USER", "ZHKHGATE_ACQUIRING_PASSWORD", "ZHKHGATE_ACQUIRING_SECRET"}

// Demo credentials of the acquiring simulator started by `zhkhgate demo`.
const (
	demoAcquiringUser     = "zhkhgate-demo-api"
	demoAcquiringPassword = "demo-password"
	demoAcquiringSecret   = "demo-callback-secret"
)

// acquiringFromEnv reads ZHKHGATE_ACQUIRING_*: nil when none is set, an error when only some are.
func acquiringFromEnv(get func(string) string, transport http.RoundTripper) (*acquiring.Client, error) {
	var set, unset []string
	for _, k := range acquiringVars {
		if get(k) == "" {
			unset = append(unset, k)
		} else {
			set = append(set, k)
		}
	}
	if len(set) == 0 {
		return nil, nil
	}
	if len(unset) > 0 {
		return nil, apperr.Invalidf("config", "online payment is half configured: %s set but %s unset (set all of %s, or none)",
			strings.Join(set, ", "), strings.Join(unset, ", "), strings.Join(acquiringVars, ", "))
	}
	c, err := acquiring.New(acquiring.Config{BaseURL: get("ZHKHGATE_ACQUIRING_URL"), UserName: get("ZHKHGATE_ACQUIRING_USER"),
		Password: get("ZHKHGATE_ACQUIRING_PASSWORD"), Secret: []byte(get("ZHKHGATE_ACQUIRING_SECRET")),
		HTTPClient: &http.Client{Timeout: 30 * time.Second, Transport: transport}})
	if err != nil {
		return nil, fmt.Errorf("ZHKHGATE_ACQUIRING_URL: %w", err)
	}
	return c, nil
}

// onlinePay builds online payment from the environment; nil (and a log line) when it is off.
func (a *app) onlinePay() (svc *onlinepay.Service, origin string, err error) {
	client, err := acquiringFromEnv(a.env.Getenv, a.metrics.Transport("acquiring", nil))
	if err != nil || client == nil {
		return nil, "", err
	}
	u, _ := url.Parse(a.env.Getenv("ZHKHGATE_ACQUIRING_URL"))
	return &onlinepay.Service{Pool: a.pool, Gateway: client, Logger: a.logger}, u.Scheme + "://" + u.Host, nil
}

// onlinePayOrNil is onlinePay for the job workers, whose start already checked the configuration.
func (a *app) onlinePayOrNil() *onlinepay.Service {
	svc, _, _ := a.onlinePay()
	return svc
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
	cfg, err := loadConfig(env.Getenv)
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
	fs.StringVar(&o.CallbackURL, "callback-url", cfg.publicURL()+"/acquiring/callback", "merchant's callback URL (register.do may name another)")
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

// acquiringDemoService runs the simulator for `zhkhgate demo` and points online payment at it
// through the same variables an operator would set.
func acquiringDemoService() demoService {
	return demoService{name: "acquiring simulator", start: func(ctx context.Context, a *app) (string, error) {
		o := acquiringSimOptions{Addr: or(a.env.Getenv("ZHKHGATE_ACQUIRING_SIM_ADDR"), "127.0.0.1:8093"),
			User: demoAcquiringUser, Password: demoAcquiringPassword, Secret: demoAcquiringSecret,
			CallbackURL: a.cfg.publicURL() + "/acquiring/callback"}
		base, _, err := startAcquiringSim(ctx, o)
		if err != nil {
			return "", err
		}
		set := map[string]string{}
		for _, kv := range acquiringEnv(base, o) {
			k, v, _ := strings.Cut(kv, "=")
			set[k] = v
		}
		prev := a.env.Getenv
		a.env.Getenv = func(k string) string {
			if v, ok := set[k]; ok {
				return v
			}
			return prev(k)
		}
		return base + "/", nil
	}}
}
