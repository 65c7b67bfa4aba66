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

func cmdServe(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "serve", "serve\n\nRuns the HTTP server only. Jobs are inserted but worked by `zhkhgate worker` processes.")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	client, err := jobs.NewInsertClient(a.jobDeps())
	if err != nil {
		return err
	}
	return a.serve(ctx, client, nil)
}

func cmdWorker(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "worker", "worker\n\nWorks the job queues until SIGINT/SIGTERM, then lets running jobs finish (30s) before stopping.")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	client, err := a.startWorkers(ctx)
	if err != nil {
		return err
	}
	<-ctx.Done()
	a.stopWorkers(client)
	return nil
}

func cmdRun(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "run", "run\n\nRuns the HTTP server and the workers in one process.")
	if err := parse(fs, args); err != nil || helpRequested(args) {
		return err
	}
	a, err := openApp(ctx, env, true)
	if err != nil {
		return err
	}
	defer a.close()
	client, err := a.startWorkers(ctx)
	if err != nil {
		return err
	}
	defer a.stopWorkers(client)
	return a.serve(ctx, client, nil)
}
