package main

import (
	"context"
	"flag"

	"github.com/zhkhgate/zhkhgate/jobs"
)

func newFlags(env *Env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fs.SetOutput(env.Stdout)
		defer fs.SetOutput(env.Stderr)
		_, _ = env.Stdout.Write([]byte("Usage: zhkhgate " + usage + "\n"))
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	return nil
}

func helpRequested(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// runApp parses a flag-less command's arguments, opens the app (migrated)
// and runs fn with it.
func runApp(ctx context.Context, env *Env, args []string, name, usage string, fn func(a *app) error) error {
	fs := newFlags(env, name, usage)
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	return fn(a)
}

func cmdServe(ctx context.Context, env *Env, args []string) error {
	return runApp(ctx, env, args, "serve", "serve\n\nRuns the HTTP server only. Jobs are inserted but worked by `zhkhgate worker` processes.",
		func(a *app) error {
			client, err := jobs.NewInsertClient(a.jobDeps())
			if err != nil {
				return err
			}
			return a.serve(ctx, client, nil)
		})
}

func cmdWorker(ctx context.Context, env *Env, args []string) error {
	return runApp(ctx, env, args, "worker", "worker\n\nWorks the job queues until SIGINT/SIGTERM, then lets running jobs finish (30s) before stopping.",
		func(a *app) error {
			client, err := a.startWorkers(ctx)
			if err != nil {
				return err
			}
			<-ctx.Done()
			a.stopWorkers(client)
			return nil
		})
}

func cmdRun(ctx context.Context, env *Env, args []string) error {
	return runApp(ctx, env, args, "run", "run\n\nRuns the HTTP server and the workers in one process.",
		func(a *app) error {
			client, err := a.startWorkers(ctx)
			if err != nil {
				return err
			}
			defer a.stopWorkers(client)
			return a.serve(ctx, client, nil)
		})
}
