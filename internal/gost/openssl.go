package gost

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// emptyDigest is Streebog-256 of the empty string (RFC 6986 test vector
// territory; checked against OpenSSL), used to probe the engine.
const emptyDigest = "3f539a213e97c802cc229d474c6aa32a825a360b2a933a949fd925208d9ce1bb"

// maxFilesPerCall bounds the pipes handed to one openssl process in DigestEach.
const maxFilesPerCall = 64

// OpenSSLOptions configures [NewOpenSSL]. The zero value is ready to use.
type OpenSSLOptions struct {
	// Path of the openssl binary; default "openssl" looked up in PATH.
	Path string
	// Engine is the OpenSSL engine id providing GOST; default "gost".
	Engine string
	// MaxProcs caps concurrently running openssl processes; default 2×NumCPU.
	MaxProcs int
	// Processes runs every operation through the openssl command, as builds
	// without cgo always do, instead of in-process through libcrypto.
	Processes bool
}

// OpenSSL implements [Hasher] and [Verifier], and loads [Signer]s, with the
// OpenSSL GOST engine.
//
// By default (built with cgo) digests, signatures and verification run
// in-process: the engine is loaded into libcrypto once per process and each
// call makes and frees its own EVP contexts. Otherwise, and for key
// generation and CMS always, it runs the openssl command-line tool; data,
// keys and signatures are passed through pipes (stdin and /dev/fd/N), nothing
// is written to disk, and one process costs about 5–10 ms plus hashing time.
// Both paths give the same bytes (signatures are randomised but in the same
// format). Safe for concurrent use.
type OpenSSL struct {
	path   string
	engine string
	sem    chan struct{}
	lib    *libEngine // nil: child processes only
}

// NewOpenSSL returns an OpenSSL tool after checking that the binary exists and
// the GOST engine computes a known Streebog-256 digest.
func NewOpenSSL(ctx context.Context, opts OpenSSLOptions) (*OpenSSL, error) {
	o := &OpenSSL{path: opts.Path, engine: opts.Engine}
	if o.path == "" {
		o.path = "openssl"
	}
	if o.engine == "" {
		o.engine = "gost"
	}
	n := opts.MaxProcs
	if n <= 0 {
		n = 2 * runtime.NumCPU()
	}
	o.sem = make(chan struct{}, n)
	if _, err := exec.LookPath(o.path); err != nil {
		return nil, fmt.Errorf("gost: openssl binary %q not found: %w", o.path, err)
	}
	if !opts.Processes && inProcessAvailable {
		lib, err := loadEngine(o.engine)
		if err != nil {
			return nil, fmt.Errorf("gost: GOST engine %q not usable (Debian package libengine-gost-openssl): %w", o.engine, err)
		}
		o.lib = lib
	}
	d, err := o.Digest(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("gost: GOST engine %q not usable (Debian package libengine-gost-openssl): %w", o.engine, err)
	}
	if hex.EncodeToString(d[:]) != emptyDigest {
		return nil, fmt.Errorf("gost: engine %q gives Streebog-256(\"\") = %x, want %s", o.engine, d, emptyDigest)
	}
	return o, nil
}

// InProcess reports whether digests and signatures run in-process through
// libcrypto rather than in openssl child processes.
func (o *OpenSSL) InProcess() bool { return o.lib != nil }

// Digest returns the Streebog-256 digest of data.
func (o *OpenSSL) Digest(ctx context.Context, data []byte) (Digest, error) {
	if o.lib != nil {
		if err := ctx.Err(); err != nil {
			return Digest{}, fmt.Errorf("gost: digest: %w", err)
		}
		d, err := o.lib.digest(data)
		if err != nil {
			return Digest{}, fmt.Errorf("gost: digest: %w", err)
		}
		return d, nil
	}
	var d Digest
	out, err := o.run(ctx, data, nil, "dgst", "-engine", o.engine, "-md_gost12_256", "-binary")
	if err != nil {
		return d, fmt.Errorf("gost: digest: %w", err)
	}
	if len(out) != DigestSize {
		return d, fmt.Errorf("gost: digest: openssl printed %d bytes, want %d", len(out), DigestSize)
	}
	copy(d[:], out)
	return d, nil
}

// DigestEach returns the digests of items in order, hashing up to 64 items
// per openssl process on the process path.
func (o *OpenSSL) DigestEach(ctx context.Context, items ...[]byte) ([]Digest, error) {
	res := make([]Digest, 0, len(items))
	if o.lib != nil {
		for _, item := range items {
			d, err := o.Digest(ctx, item)
			if err != nil {
				return nil, err
			}
			res = append(res, d)
		}
		return res, nil
	}
	for start := 0; start < len(items); start += maxFilesPerCall {
		batch := items[start:min(start+maxFilesPerCall, len(items))]
		args := []string{"dgst", "-engine", o.engine, "-md_gost12_256", "-r"}
		for i := range batch {
			args = append(args, fdPath(i))
		}
		out, err := o.run(ctx, nil, batch, args...)
		if err != nil {
			return nil, fmt.Errorf("gost: digest: %w", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(batch) {
			return nil, fmt.Errorf("gost: digest: openssl printed %d lines for %d inputs", len(lines), len(batch))
		}
		for i, line := range lines {
			hexDigest, name, ok := strings.Cut(line, " ")
			if !ok || strings.TrimPrefix(name, "*") != fdPath(i) {
				return nil, fmt.Errorf("gost: digest: unexpected openssl output line %q", line)
			}
			var d Digest
			if n, err := hex.Decode(d[:], []byte(hexDigest)); err != nil || n != DigestSize {
				return nil, fmt.Errorf("gost: digest: unexpected openssl output line %q", line)
			}
			res = append(res, d)
		}
	}
	return res, nil
}

// Verify implements [Verifier].
func (o *OpenSSL) Verify(ctx context.Context, cert *Certificate, msg, sig []byte) error {
	if cert == nil {
		return errors.New("gost: verify: no certificate")
	}
	if len(sig) != SignatureSize {
		return fmt.Errorf("gost: verify: signature is %d bytes, want %d: %w", len(sig), SignatureSize, ErrBadSignature)
	}
	if o.lib != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("gost: verify: %w", err)
		}
		switch err := o.lib.verify(cert.x509.RawSubjectPublicKeyInfo, msg, sig); {
		case err == nil:
			return nil
		case errors.Is(err, errMismatch):
			return fmt.Errorf("gost: verify (certificate %q): %w", cert.x509.Subject, ErrBadSignature)
		default:
			return fmt.Errorf("gost: verify: %w", err)
		}
	}
	out, err := o.run(ctx, msg, [][]byte{cert.PublicKeyPEM(), sig},
		"dgst", "-engine", o.engine, "-md_gost12_256", "-verify", fdPath(0), "-signature", fdPath(1))
	switch {
	case err == nil && bytes.HasPrefix(out, []byte("Verified OK")):
		return nil
	case bytes.HasPrefix(out, []byte("Verification failure")):
		return fmt.Errorf("gost: verify (certificate %q): %w", cert.x509.Subject, ErrBadSignature)
	case err != nil:
		return fmt.Errorf("gost: verify: %w", err)
	default:
		return fmt.Errorf("gost: verify: unexpected openssl output %q", out)
	}
}

// LoadSigner reads a PEM private key (PKCS#8, as `openssl genpkey` writes it)
// and its PEM certificate, checks that they belong together by signing and
// verifying a probe, and returns a Signer. The key stays in memory: parsed
// once in-process, or handed to openssl through a pipe for every signature on
// the process path.
func (o *OpenSSL) LoadSigner(ctx context.Context, keyFile, certFile string) (*OpenSSLSigner, error) {
	key, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("gost: load signer key: %w", err)
	}
	cert, err := LoadCertificate(certFile)
	if err != nil {
		return nil, fmt.Errorf("gost: load signer: %w", err)
	}
	return o.NewSigner(ctx, key, cert)
}

// NewSigner is LoadSigner for a key and certificate already in memory.
func (o *OpenSSL) NewSigner(ctx context.Context, keyPEM []byte, cert *Certificate) (*OpenSSLSigner, error) {
	if !bytes.Contains(keyPEM, []byte("-----BEGIN PRIVATE KEY-----")) {
		return nil, errors.New("gost: signer key: no PEM \"PRIVATE KEY\" (PKCS#8) block found")
	}
	s := &OpenSSLSigner{tool: o, key: bytes.Clone(keyPEM), cert: cert}
	if o.lib != nil {
		k, err := o.lib.loadKey(s.key)
		if err != nil {
			return nil, fmt.Errorf("gost: signer key unusable: %w", err)
		}
		s.lib = k
	}
	probe := []byte("zhkhgate key/certificate probe")
	sig, err := s.Sign(ctx, probe)
	if err != nil {
		return nil, fmt.Errorf("gost: signer key unusable: %w", err)
	}
	if err := o.Verify(ctx, cert, probe, sig); err != nil {
		return nil, fmt.Errorf("gost: signer key does not match certificate %q: %w", cert.x509.Subject, err)
	}
	return s, nil
}

// OpenSSLSigner is the [Signer] made by [OpenSSL.LoadSigner].
type OpenSSLSigner struct {
	tool *OpenSSL
	key  []byte  // PEM, for the process path and CMS
	lib  *libKey // parsed key when tool runs in-process
	cert *Certificate
}

// Sign implements [Signer].
func (s *OpenSSLSigner) Sign(ctx context.Context, msg []byte) ([]byte, error) {
	if s.lib != nil {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("gost: sign: %w", err)
		}
		sig, err := s.tool.lib.sign(s.lib, msg)
		if err != nil {
			return nil, fmt.Errorf("gost: sign: %w", err)
		}
		return sig, nil
	}
	out, err := s.tool.run(ctx, msg, [][]byte{s.key},
		"dgst", "-engine", s.tool.engine, "-md_gost12_256", "-sign", fdPath(0), "-binary")
	if err != nil {
		return nil, fmt.Errorf("gost: sign: %w", err)
	}
	if len(out) != SignatureSize {
		return nil, fmt.Errorf("gost: sign: openssl printed %d bytes, want a %d-byte signature", len(out), SignatureSize)
	}
	return out, nil
}

// Certificate implements [Signer].
func (s *OpenSSLSigner) Certificate() *Certificate { return s.cert }

// CertificateHash returns the upper-case hex Streebog-256 digest of the
// certificate's DER encoding: ESIA's client_certificate_hash (64 characters).
func CertificateHash(ctx context.Context, h Hasher, cert *Certificate) (string, error) {
	d, err := h.Digest(ctx, cert.DER())
	if err != nil {
		return "", fmt.Errorf("gost: certificate hash: %w", err)
	}
	return strings.ToUpper(hex.EncodeToString(d[:])), nil
}

// Credentials names the files of a key and its certificate.
type Credentials struct {
	KeyFile  string // PEM PKCS#8 private key
	CertFile string // PEM certificate
}

// GenerateTestCredentials creates a throwaway GOST R 34.10-2012 256-bit key
// (parameter set A) and a self-signed certificate for commonName, valid for a
// year, as key.pem and cert.pem in dir. For tests and demos only.
func (o *OpenSSL) GenerateTestCredentials(ctx context.Context, dir, commonName string) (Credentials, error) {
	c := Credentials{KeyFile: filepath.Join(dir, "key.pem"), CertFile: filepath.Join(dir, "cert.pem")}
	if strings.ContainsAny(commonName, "/=\\\n") || commonName == "" {
		return c, fmt.Errorf("gost: test credentials: common name %q must be non-empty without '/', '=', '\\' or newlines", commonName)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return c, fmt.Errorf("gost: test credentials: %w", err)
	}
	if _, err := o.run(ctx, nil, nil, "genpkey", "-engine", o.engine, "-algorithm", "gost2012_256",
		"-pkeyopt", "paramset:A", "-out", c.KeyFile); err != nil {
		return c, fmt.Errorf("gost: test credentials: generate key: %w", err)
	}
	if _, err := o.run(ctx, nil, nil, "req", "-engine", o.engine, "-x509", "-new", "-key", c.KeyFile,
		"-out", c.CertFile, "-days", "365", "-md_gost12_256",
		"-subj", "/C=RU/O=zhkhgate test/CN="+commonName); err != nil {
		return c, fmt.Errorf("gost: test credentials: self-signed certificate: %w", err)
	}
	return c, nil
}

// fdPath names the i-th extra file of a child process (fd 3 is the first).
func fdPath(i int) string { return fmt.Sprintf("/dev/fd/%d", 3+i) }

// run executes openssl with args, stdin as standard input and every element
// of files readable at fdPath(i). It returns standard output; on failure the
// error carries openssl's standard error.
func (o *OpenSSL) run(ctx context.Context, stdin []byte, files [][]byte, args ...string) ([]byte, error) {
	select {
	case o.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-o.sem }()

	cmd := exec.CommandContext(ctx, o.path, args...)
	// A private empty config keeps a host-wide openssl.cnf from changing
	// results; the engine is loaded explicitly with -engine.
	cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr

	writers := make([]*os.File, 0, len(files))
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	for range files {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(cmd.ExtraFiles)
			closeAll(writers)
			return nil, fmt.Errorf("pipe: %w", err)
		}
		cmd.ExtraFiles = append(cmd.ExtraFiles, r)
		writers = append(writers, w)
	}
	if err := cmd.Start(); err != nil {
		closeAll(cmd.ExtraFiles)
		closeAll(writers)
		return nil, fmt.Errorf("start %s: %w", o.path, err)
	}
	closeAll(cmd.ExtraFiles) // the child holds its own copies
	done := make(chan error, len(files))
	for i, w := range writers {
		go func() {
			_, err := w.Write(files[i])
			// openssl may stop reading early (e.g. on a bad key); that is
			// reported through its exit status, not as a write error here.
			if errors.Is(err, os.ErrClosed) || isBrokenPipe(err) {
				err = nil
			}
			done <- errors.Join(err, w.Close())
		}()
	}
	waitErr := cmd.Wait()
	var writeErr error
	for range writers {
		writeErr = errors.Join(writeErr, <-done)
	}
	if waitErr != nil {
		return stdout.Bytes(), fmt.Errorf("openssl %s: %w: %s", args[0], waitErr, cleanStderr(stderr.Bytes()))
	}
	if writeErr != nil {
		return nil, fmt.Errorf("openssl %s: write input: %w", args[0], writeErr)
	}
	return stdout.Bytes(), nil
}

func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }

// cleanStderr drops the engine banner and keeps the message short.
func cleanStderr(b []byte) string {
	var keep []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "Engine \"") {
			continue
		}
		keep = append(keep, line)
	}
	s := strings.Join(keep, "; ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	if s == "" {
		s = "no error output"
	}
	return s
}
