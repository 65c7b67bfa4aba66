package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/payqr"
)

// exitDeviations is the exit status of `qr decode --strict` for a payload read with deviations.
const exitDeviations = 2

func qrCommands() []command {
	return []command{
		{"encode", "write a GOST R 56042 payload from flags or a JSON object (--json FILE|-), optionally its PNG (--png FILE)", cmdQREncode},
		{"decode", "read a payload file (or - for stdin) and print its requisites and deviations as JSON", cmdQRDecode},
	}
}

// cmdQR is `zhkhgate qr SUBCOMMAND`: the payment QR code of housing bills.
func cmdQR(ctx context.Context, env *Env, args []string) error {
	return runGroup(ctx, env, "qr", "Payment QR code (GOST R 56042-2014):", qrCommands(), args)
}

// cmdQREncode builds a payment from a JSON object (keys are the standard's)
// and then the flags, one per requisite, named like the standard's keys.
func cmdQREncode(_ context.Context, env *Env, args []string) error {
	const op = "qr encode"
	fs := flag.NewFlagSet("qr encode", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	jsonIn := fs.String("json", "", "read the payment from this JSON `file` (- for stdin); flags override its requisites")
	encName := fs.String("encoding", "cp1251", "payload charset: cp1251, utf8 or koi8r")
	out := fs.String("out", "-", "write the payload bytes to this `file` (- for stdout)")
	pngOut := fs.String("png", "", "also write the QR code as a PNG to this `file`")
	size := fs.Int("size", 400, "PNG width and height in `pixels`")
	// One flag per requisite, named by its key; amounts in kopecks.
	text := map[string]*string{}
	amount := map[string]*int64{}
	for _, key := range payqr.Keys() {
		switch key {
		case "Sum", "AddAmount":
			amount[key] = fs.Int64(key, 0, key+" in kopecks")
		default:
			text[key] = fs.String(key, "", "requisite "+key)
		}
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return apperr.Invalidf(op, "%v", err)
	}
	if fs.NArg() > 0 {
		return apperr.Invalidf(op, "unexpected argument %q", fs.Arg(0))
	}
	enc, err := payqr.ParseEncoding(*encName)
	if err != nil {
		return apperr.Invalidf(op, "--encoding: %s", apperr.UserMessage(err))
	}
	fields := map[string]any{}
	if *jsonIn != "" {
		raw, err := readInput(*jsonIn)
		if err != nil {
			return apperr.Invalidf(op, "--json %s: %v", *jsonIn, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber() // kopecks beyond 2^53 stay exact
		if err := dec.Decode(&fields); err != nil {
			return apperr.Invalidf(op, "--json %s: %v", *jsonIn, err)
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if s, ok := text[f.Name]; ok {
			fields[f.Name] = *s
		}
		if n, ok := amount[f.Name]; ok {
			fields[f.Name] = *n
		}
	})
	// Through JSON once more, strictly, so a misspelt key in the file is an error that names it.
	merged, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	var p payqr.Payment
	dec := json.NewDecoder(bytes.NewReader(merged))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return apperr.Invalidf(op, "payment: %v (keys are the standard's, e.g. Name, PersonalAcc, Sum in kopecks)", err)
	}
	payload, err := payqr.Encode(p, enc)
	if err != nil {
		return apperr.Invalidf(op, "%s", apperr.UserMessage(err))
	}
	if *pngOut != "" {
		img, err := payqr.PNG(payload, *size)
		if err != nil {
			return apperr.Invalidf(op, "--png: %s", apperr.UserMessage(err))
		}
		if err := os.WriteFile(*pngOut, img, 0o644); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if *out == "-" {
		_, err = env.Stdout.Write(payload)
	} else {
		err = os.WriteFile(*out, payload, 0o644)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// cmdQRDecode prints what the lenient reader found. It reads payload bytes
// (what a scanner's byte mode gives), not images.
func cmdQRDecode(_ context.Context, env *Env, args []string) error {
	const op = "qr decode"
	fs := flag.NewFlagSet("qr decode", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	strict := fs.Bool("strict", false, fmt.Sprintf("exit with status %d when the payload deviates from the standard", exitDeviations))
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil
	} else if err != nil {
		return apperr.Invalidf(op, "%v", err)
	}
	if fs.NArg() != 1 {
		return apperr.Invalidf(op, "want one payload FILE (or - for stdin), got %d arguments", fs.NArg())
	}
	name := fs.Arg(0)
	raw, err := readInput(name)
	if err != nil {
		return apperr.Invalidf(op, "%s: %v", name, err)
	}
	d, err := payqr.Inspect(raw)
	if err != nil {
		return apperr.Invalidf(op, "%s: %s", name, apperr.UserMessage(err))
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if *strict && len(d.Deviations) > 0 {
		return exitCode(exitDeviations)
	}
	return nil
}

// readInput reads a file, or stdin for "-".
func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	}
	return os.ReadFile(name)
}
