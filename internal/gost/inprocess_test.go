package gost_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// bothTools returns a tool that runs in-process and one that runs openssl
// child processes. Builds without cgo have no in-process path; the test is
// skipped there rather than comparing the process path with itself.
func bothTools(t testing.TB) (inProc, procs *gost.OpenSSL) {
	t.Helper()
	ctx := context.Background()
	inProc = newTool(t)
	if !inProc.InProcess() {
		t.Skip("built without cgo: no in-process GOST")
	}
	procs, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{Processes: true})
	if err != nil {
		t.Fatalf("NewOpenSSL(Processes): %v", err)
	}
	if procs.InProcess() {
		t.Fatal("OpenSSLOptions{Processes: true} still runs in-process")
	}
	return inProc, procs
}

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestInProcessDigestMatchesCLI compares in-process digests with the openssl
// command's, around Streebog's 64-byte block size and for multi-MB inputs.
func TestInProcessDigestMatchesCLI(t *testing.T) {
	inProc, procs := bothTools(t)
	ctx := context.Background()
	inputs := map[string][]byte{
		"empty":       nil,
		"one byte":    []byte("a"),
		"63 bytes":    randomBytes(63, 1),
		"64 bytes":    randomBytes(64, 2),
		"65 bytes":    randomBytes(65, 3),
		"XML":         readFile(t, "msg1.txt"),
		"1 MiB + 1":   randomBytes(1<<20+1, 4),
		"5 MB zeroes": make([]byte, 5_000_000),
		"3 MB random": randomBytes(3_000_000, 5),
	}
	var names []string
	var items [][]byte
	for name, in := range inputs {
		names = append(names, name)
		items = append(items, in)
		t.Run(name, func(t *testing.T) {
			got, err := inProc.Digest(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := procs.Digest(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("in-process %x, openssl %x", got, want)
			}
		})
	}
	got, err := inProc.DigestEach(ctx, items...)
	if err != nil {
		t.Fatal(err)
	}
	want, err := procs.DigestEach(ctx, items...)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(items) || len(want) != len(items) {
		t.Fatalf("DigestEach returned %d and %d digests for %d items", len(got), len(want), len(items))
	}
	for i := range items {
		if got[i] != want[i] {
			t.Errorf("DigestEach item %q: in-process %x, openssl %x", names[i], got[i], want[i])
		}
	}
}

// TestInProcessSignaturesCrossVerify checks that signatures made in-process
// verify with the openssl command and the other way round, and that tampering
// is caught on both paths.
func TestInProcessSignaturesCrossVerify(t *testing.T) {
	inProc, procs := bothTools(t)
	ctx := context.Background()
	inSigner := fixedSigner(t, inProc)
	procSigner := fixedSigner(t, procs)
	cert := inSigner.Certificate()
	tools := map[string]*gost.OpenSSL{"in-process": inProc, "processes": procs}
	signers := map[string]*gost.OpenSSLSigner{"in-process": inSigner, "processes": procSigner}
	for _, msg := range [][]byte{nil, []byte("a"), readFile(t, "msg2.txt"), randomBytes(2_500_000, 6)} {
		for signedBy, signer := range signers {
			sig, err := signer.Sign(ctx, msg)
			if err != nil {
				t.Fatalf("%s Sign: %v", signedBy, err)
			}
			if len(sig) != gost.SignatureSize {
				t.Fatalf("%s signature is %d bytes", signedBy, len(sig))
			}
			if signedBy == "in-process" && !opensslVerify(t, "testdata/cert.pem", msg, sig) {
				t.Errorf("openssl dgst -verify rejects an in-process signature of %d bytes", len(msg))
			}
			flipped := bytes.Clone(sig)
			flipped[len(flipped)/2] ^= 0x01
			tampered := append(bytes.Clone(msg), '!')
			for checkedBy, tool := range tools {
				name := fmt.Sprintf("signed %s, checked %s, %d bytes", signedBy, checkedBy, len(msg))
				if err := tool.Verify(ctx, cert, msg, sig); err != nil {
					t.Errorf("%s: Verify = %v", name, err)
				}
				for what, c := range map[string]struct{ msg, sig []byte }{
					"tampered message":   {tampered, sig},
					"flipped signature":  {msg, flipped},
					"reversed signature": {msg, reversed(sig)},
					"zero signature":     {msg, make([]byte, gost.SignatureSize)},
				} {
					if err := tool.Verify(ctx, cert, c.msg, c.sig); !errors.Is(err, gost.ErrBadSignature) {
						t.Errorf("%s, %s: Verify = %v, want ErrBadSignature", name, what, err)
					}
				}
			}
		}
	}
}

// TestInProcessConcurrent shares one tool and one signer among 8 goroutines
// (run it with -race); every result is checked.
func TestInProcessConcurrent(t *testing.T) {
	inProc, _ := bothTools(t)
	ctx := context.Background()
	signer := fixedSigner(t, inProc)
	msgs := make([][]byte, 8)
	want := make([]gost.Digest, len(msgs))
	for i := range msgs {
		msgs[i] = randomBytes(1000+i*40_000, uint64(10+i))
		d, err := inProc.Digest(ctx, msgs[i])
		if err != nil {
			t.Fatal(err)
		}
		want[i] = d
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(msgs))
	for g := range len(msgs) {
		wg.Go(func() {
			for n := range 25 {
				i := (g + n) % len(msgs)
				ds, err := inProc.DigestEach(ctx, msgs[i], msgs[(i+1)%len(msgs)])
				if err != nil {
					errs <- err
					return
				}
				if ds[0] != want[i] || ds[1] != want[(i+1)%len(msgs)] {
					errs <- fmt.Errorf("goroutine %d: wrong digest of message %d", g, i)
					return
				}
				sig, err := signer.Sign(ctx, msgs[i])
				if err == nil {
					err = inProc.Verify(ctx, signer.Certificate(), msgs[i], sig)
				}
				if err == nil {
					// Another goroutine's message must not verify.
					if err2 := inProc.Verify(ctx, signer.Certificate(), msgs[(i+1)%len(msgs)], sig); !errors.Is(err2, gost.ErrBadSignature) {
						err = fmt.Errorf("signature of message %d checked against message %d: %v", i, (i+1)%len(msgs), err2)
					}
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestInProcessMissingEngine(t *testing.T) {
	ctx := context.Background()
	for _, procs := range []bool{false, true} {
		_, err := gost.NewOpenSSL(ctx, gost.OpenSSLOptions{Engine: "no-such-engine", Processes: procs})
		if err == nil || !strings.Contains(err.Error(), "libengine-gost-openssl") || !strings.Contains(err.Error(), "no-such-engine") {
			t.Errorf("Processes=%v: NewOpenSSL with a missing engine error = %v, want naming the engine and libengine-gost-openssl", procs, err)
		}
	}
}

// TestInProcessKeyErrors checks that keys the engine cannot sign with are
// refused with a reason, and that an encrypted key fails instead of asking
// for a password on the terminal.
func TestInProcessKeyErrors(t *testing.T) {
	inProc, _ := bothTools(t)
	ctx := context.Background()
	cert, err := gost.LoadCertificate("testdata/cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	genpkey := func(name string, args ...string) []byte {
		t.Helper()
		out := filepath.Join(dir, name)
		cmd := exec.Command("openssl", append([]string{"genpkey", "-out", out}, args...)...)
		cmd.Env = append(os.Environ(), "OPENSSL_CONF=/dev/null")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl genpkey %v: %v\n%s", args, err, b)
		}
		return readPath(t, out)
	}
	tests := []struct {
		name    string
		key     []byte
		wantErr string
	}{
		{"ed25519", genpkey("ed25519.pem", "-algorithm", "ed25519"), "want gost2012_256"},
		// An encrypted block ahead of a plain one passes the PEM check and
		// reaches the parser.
		{"encrypted", append(genpkey("enc.pem", "-engine", "gost", "-algorithm", "gost2012_256", "-pkeyopt", "paramset:A",
			"-aes-256-cbc", "-pass", "pass:secret"), readFile(t, "key.pem")...), "unusable"},
		{"truncated", readFile(t, "key.pem")[:60], "unusable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := inProc.NewSigner(ctx, tc.key, cert)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("NewSigner error = %v, want containing %q", err, tc.wantErr)
			}
		})
	}
}

func readPath(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// benchTools returns the two implementations for sub-benchmarks.
func benchTools(b *testing.B) map[string]*gost.OpenSSL {
	inProc, procs := bothTools(b)
	return map[string]*gost.OpenSSL{"inprocess": inProc, "processes": procs}
}

func BenchmarkDigest(b *testing.B) {
	ctx := context.Background()
	for mode, tool := range benchTools(b) {
		for _, size := range []int{1 << 10, 1 << 20} {
			msg := randomBytes(size, 7)
			b.Run(fmt.Sprintf("%s/%dKiB", mode, size>>10), func(b *testing.B) {
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := tool.Digest(ctx, msg); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkSign signs 1 KiB messages on all cores.
func BenchmarkSign(b *testing.B) {
	ctx := context.Background()
	msg := randomBytes(1<<10, 8)
	for mode, tool := range benchTools(b) {
		signer := fixedSigner(b, tool)
		b.Run(mode, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := signer.Sign(ctx, msg); err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}

// BenchmarkVerify checks a signature of a 1 KiB message on all cores.
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	msg := randomBytes(1<<10, 9)
	for mode, tool := range benchTools(b) {
		signer := fixedSigner(b, tool)
		sig, err := signer.Sign(ctx, msg)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(mode, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := tool.Verify(ctx, signer.Certificate(), msg, sig); err != nil {
						b.Error(err)
					}
				}
			})
		})
	}
}
