// Command zhkhgate is the settlement center's integration gateway: one binary
// whose subcommands migrate the database, serve the web edge, work the job
// queue, run the simulators and load the demo. Run `zhkhgate help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// command is one subcommand: its name, a one-line purpose, and how it runs.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *Env, args []string) error
}

// commands is the one table of subcommands; `help` prints it.
func commands() []command {
	return []command{
		{"demo", "start Postgres (embedded unless DATABASE_URL), migrate, load a demo settlement center, start simulators, server and workers", cmdDemo},
		{"run", "run the HTTP server and the job workers in one process", cmdRun},
		{"serve", "run the HTTP server only (admin console, cabinet, metrics)", cmdServe},
		{"worker", "run the job workers only; several may share one database", cmdWorker},
		{"migrate", "apply (up), roll back (down) or list (status) database migrations", cmdMigrate},
		{"admin", "manage staff users: admin create-user, admin set-password", cmdAdmin},
		{"pg", "manage the embedded PostgreSQL cluster: pg start|stop|status|url", cmdPG},
		{"load-demo", "load the demo settlement center into the database and exit", cmdLoadDemo},
		{"charges", "monthly charges from billing: charges import FILE..., charges diff --org ID --period YYYY-MM", cmdCharges},
		{"registry", "bank payment registries: import, statement, reconcile, watch, profiles, generate", cmdRegistry},
		{"gis", "GIS ZhKH exchange: gis sync --org ID --what orgs|nsi|houses|accounts|meters|readings|documents|payments|…|all [--dry-run]", cmdGIS},
		{"qr", "payment QR code (GOST R 56042): qr encode, qr decode", cmdQR},
		{"documents", "payment documents from the store: documents render (ЕПД PDF), documents certificate (debt-free)", cmdDocuments},
		{"sim", "run a simulator of an external system: " + simNames(), cmdSim},
		{"version", "print the version", cmdVersion},
	}
}

// simulators is the one table of `zhkhgate sim NAME` simulators.
func simulators() []command {
	return []command{
		{"esia", "ESIA (Gosuslugi) login: OAuth endpoints, demo citizens, person data", cmdSimESIA},
		{"gis", "GIS ZhKH: async SOAP services with XSD and signature checks, states 1-2-3, fault injection", cmdSimGIS},
		{"acquiring", "internet acquiring (Sber-shaped): register, payment page, signed callbacks with faults, status, refund", cmdSimAcquiring},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	if err := run(ctx, env, os.Args[1:]); err != nil {
		os.Exit(report(os.Stderr, err))
	}
}

// report prints a command's error in one line (an internal error also with
// its detail) and returns the exit status: a command's exitCode, or 1.
func report(w io.Writer, err error) int {
	var exit exitCode
	if errors.As(err, &exit) {
		if msg := err.Error(); msg != exit.Error() {
			fmt.Fprintln(w, "zhkhgate:", msg)
		}
		return int(exit)
	}
	fmt.Fprintln(w, "zhkhgate:", apperr.UserMessage(err))
	if apperr.KindOf(err) == apperr.Internal {
		fmt.Fprintln(w, "  detail:", err)
	}
	return 1
}

// exitCode lets a command choose its exit status (e.g. registry import: 2 = accepted with quarantine).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// Env is what a command may touch of the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

func run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return runCommand(ctx, env, commands(), args[1], []string{"-h"})
		}
		usage(env.Stdout)
		return nil
	}
	return runCommand(ctx, env, commands(), args[0], args[1:])
}

// runGroup runs a command group (`zhkhgate NAME SUBCOMMAND …`): without a
// subcommand, or with help, it prints the title, the subcommands and the
// footer lines.
func runGroup(ctx context.Context, env *Env, name, title string, table []command, args []string, footer ...string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintf(env.Stdout, "Usage: zhkhgate %s SUBCOMMAND [flags]\n\n%s\n", name, title)
		width := 0
		for _, c := range table {
			width = max(width, len(c.name))
		}
		for _, c := range table {
			fmt.Fprintf(env.Stdout, "  %-*s  %s\n", width, c.name, c.summary)
		}
		for _, l := range footer {
			fmt.Fprintln(env.Stdout, "\n"+l)
		}
		return nil
	}
	return runCommand(ctx, env, table, args[0], args[1:])
}

func runCommand(ctx context.Context, env *Env, table []command, name string, args []string) error {
	for _, c := range table {
		if c.name == name {
			return c.run(ctx, env, args)
		}
	}
	return apperr.Invalidf("zhkhgate", "unknown command %q; run 'zhkhgate help'", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "zhkhgate — integration gateway for housing and utility settlement centers")
	fmt.Fprintln(w, "\nUsage: zhkhgate COMMAND [flags]   (zhkhgate help COMMAND for its flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help       print this list")
	fmt.Fprintln(w, "\nConfiguration comes from environment variables; see README.md (DATABASE_URL, ZHKHGATE_HTTP_ADDR, …).")
}

func simNames() string {
	var names []string
	for _, s := range simulators() {
		names = append(names, s.name)
	}
	if len(names) == 0 {
		return "(none built in)"
	}
	return strings.Join(names, ", ")
}

func cmdSim(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] == "-h" {
		fmt.Fprintln(env.Stdout, "Usage: zhkhgate sim NAME [flags]\n\nSimulators:")
		for _, s := range simulators() {
			fmt.Fprintf(env.Stdout, "  %-6s %s\n", s.name, s.summary)
		}
		return nil
	}
	return runCommand(ctx, env, simulators(), args[0], args[1:])
}

func cmdVersion(_ context.Context, env *Env, _ []string) error {
	fmt.Fprintln(env.Stdout, "zhkhgate", version)
	return nil
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"
