//go:build cgo

package gost

/*
#cgo pkg-config: libcrypto
#cgo CFLAGS: -DOPENSSL_SUPPRESS_DEPRECATED
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

// OpenSSL's error queue is per thread and a goroutine may change threads
// between cgo calls, so every function below clears the queue first and
// drains it into err before returning.
static void zg_errors(char *err, size_t n) {
	size_t off = 0;
	unsigned long code;
	err[0] = 0;
	while ((code = ERR_get_error()) != 0) {
		if (off + 8 >= n) {
			continue;
		}
		if (off > 0) {
			memcpy(err + off, "; ", 3);
			off += 2;
		}
		ERR_error_string_n(code, err + off, n - off);
		off += strlen(err + off);
	}
}

// zg_engine_load loads the engine the way `openssl -engine id` does: by id,
// falling back to the dynamic engine in ENGINESDIR (or $OPENSSL_ENGINES),
// initialised and made the default for its algorithms so that keys in PEM and
// SubjectPublicKeyInfo with GOST OIDs decode through it. The host openssl.cnf
// is not read, like the child-process path that runs with OPENSSL_CONF=/dev/null.
// The references are kept for the life of the process.
static ENGINE *zg_engine_load(const char *id, char *err, size_t n) {
	ERR_clear_error();
	if (!OPENSSL_init_crypto(OPENSSL_INIT_NO_LOAD_CONFIG | OPENSSL_INIT_ENGINE_DYNAMIC, NULL)) {
		zg_errors(err, n);
		return NULL;
	}
	ENGINE *e = ENGINE_by_id(id);
	if (e == NULL) {
		zg_errors(err, n);
		return NULL;
	}
	if (!ENGINE_init(e)) {
		zg_errors(err, n);
		ENGINE_free(e);
		return NULL;
	}
	if (!ENGINE_set_default(e, ENGINE_METHOD_ALL)) {
		zg_errors(err, n);
		ENGINE_finish(e);
		ENGINE_free(e);
		return NULL;
	}
	return e;
}

static const EVP_MD *zg_engine_md(ENGINE *e, char *err, size_t n) {
	ERR_clear_error();
	const EVP_MD *md = ENGINE_get_digest(e, NID_id_GostR3411_2012_256);
	if (md == NULL) {
		zg_errors(err, n);
	}
	return md;
}

// zg_digest writes the Streebog-256 digest of data to out (32 bytes).
static int zg_digest(ENGINE *e, const EVP_MD *md, const unsigned char *data, size_t len,
		unsigned char *out, char *err, size_t n) {
	ERR_clear_error();
	unsigned int outlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL
		&& EVP_DigestInit_ex(ctx, md, e) > 0
		&& (len == 0 || EVP_DigestUpdate(ctx, data, len) > 0)
		&& EVP_DigestFinal_ex(ctx, out, &outlen) > 0
		&& outlen == 32;
	if (!ok) {
		zg_errors(err, n);
	}
	EVP_MD_CTX_free(ctx);
	return ok;
}

// Encrypted keys are refused instead of prompting on the terminal.
static int zg_no_password(char *buf, int size, int rwflag, void *u) {
	return -1;
}

// zg_load_key parses a PEM private key; NULL on failure.
static EVP_PKEY *zg_load_key(const void *pem, int len, char *err, size_t n) {
	ERR_clear_error();
	BIO *bio = BIO_new_mem_buf(pem, len);
	if (bio == NULL) {
		zg_errors(err, n);
		return NULL;
	}
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, zg_no_password, NULL);
	if (pkey == NULL) {
		zg_errors(err, n);
	}
	BIO_free(bio);
	return pkey;
}

// zg_sign hashes msg and signs it; *siglen is the capacity of sig on entry
// and the signature length on return.
static int zg_sign(ENGINE *e, const EVP_MD *md, EVP_PKEY *pkey, const unsigned char *msg, size_t len,
		unsigned char *sig, size_t *siglen, char *err, size_t n) {
	ERR_clear_error();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx != NULL
		&& EVP_DigestSignInit(ctx, NULL, md, e, pkey) > 0
		&& (len == 0 || EVP_DigestSignUpdate(ctx, msg, len) > 0)
		&& EVP_DigestSignFinal(ctx, sig, siglen) > 0;
	if (!ok) {
		zg_errors(err, n);
	}
	EVP_MD_CTX_free(ctx);
	return ok;
}

// zg_verify checks sig over msg with the public key in the DER
// SubjectPublicKeyInfo spki: 1 valid, 0 mismatch, -1 the check failed.
static int zg_verify(ENGINE *e, const EVP_MD *md, const unsigned char *spki, long spkilen,
		const unsigned char *msg, size_t len, const unsigned char *sig, size_t siglen, char *err, size_t n) {
	ERR_clear_error();
	const unsigned char *p = spki;
	EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, spkilen);
	if (pkey == NULL) {
		zg_errors(err, n);
		return -1;
	}
	int r = -1;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (ctx != NULL
		&& EVP_DigestVerifyInit(ctx, NULL, md, e, pkey) > 0
		&& (len == 0 || EVP_DigestVerifyUpdate(ctx, msg, len) > 0)) {
		r = EVP_DigestVerifyFinal(ctx, sig, siglen);
		if (r < 0) {
			r = -1;
		}
	}
	// A mismatch leaves the engine's reason in the queue; report it too.
	zg_errors(err, n);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// inProcessAvailable reports whether this build can run GOST in-process.
const inProcessAvailable = true

// errBufSize is the size of the buffers OpenSSL's error queue is copied into.
const errBufSize = 1024

// libEngine is the GOST engine loaded into this process through libcrypto.
// Its operations keep no shared mutable state (each makes and frees its own
// EVP contexts), so it is safe for concurrent use.
type libEngine struct {
	id string
	e  *C.ENGINE
	md *C.EVP_MD
}

var (
	enginesMu sync.Mutex
	engines   = map[string]*libEngine{}
)

// loadEngine loads the engine id once per process; later calls return it.
func loadEngine(id string) (*libEngine, error) {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if le, ok := engines[id]; ok {
		return le, nil
	}
	cid := C.CString(id)
	defer C.free(unsafe.Pointer(cid))
	var buf [errBufSize]C.char
	e := C.zg_engine_load(cid, &buf[0], errBufSize)
	if e == nil {
		return nil, fmt.Errorf("load engine %q into libcrypto: %s", id, errText(&buf))
	}
	md := C.zg_engine_md(e, &buf[0], errBufSize)
	if md == nil {
		// The engine stays loaded: it is the default for whatever it did
		// register, and unloading a default engine is not worth the risk.
		return nil, fmt.Errorf("engine %q has no Streebog-256 digest: %s", id, errText(&buf))
	}
	le := &libEngine{id: id, e: e, md: md}
	engines[id] = le
	return le, nil
}

// errText returns the collected OpenSSL errors, or a stand-in when the
// failing call left none.
func errText(buf *[errBufSize]C.char) string {
	if s := C.GoString(&buf[0]); s != "" {
		return s
	}
	return "no OpenSSL error reported"
}

// bytesPtr returns a C pointer to b's data; nil for an empty slice.
func bytesPtr(b []byte) *C.uchar {
	if len(b) == 0 {
		return nil
	}
	return (*C.uchar)(unsafe.Pointer(unsafe.SliceData(b)))
}

func (le *libEngine) digest(data []byte) (Digest, error) {
	var d Digest
	var buf [errBufSize]C.char
	if C.zg_digest(le.e, le.md, bytesPtr(data), C.size_t(len(data)),
		(*C.uchar)(unsafe.Pointer(&d[0])), &buf[0], errBufSize) != 1 {
		return Digest{}, fmt.Errorf("libcrypto: %s", errText(&buf))
	}
	return d, nil
}

// libKey is a private key parsed once and freed when unreachable.
type libKey struct {
	p *C.EVP_PKEY
}

func (le *libEngine) loadKey(pemData []byte) (*libKey, error) {
	if len(pemData) == 0 || len(pemData) > 1<<20 {
		return nil, fmt.Errorf("private key PEM is %d bytes", len(pemData))
	}
	var buf [errBufSize]C.char
	p := C.zg_load_key(unsafe.Pointer(unsafe.SliceData(pemData)), C.int(len(pemData)), &buf[0], errBufSize)
	if p == nil {
		return nil, fmt.Errorf("parse private key: %s", errText(&buf))
	}
	if id := C.EVP_PKEY_get_base_id(p); id != C.NID_id_GostR3410_2012_256 {
		C.EVP_PKEY_free(p)
		name := "unknown"
		if sn := C.OBJ_nid2sn(id); sn != nil {
			name = C.GoString(sn)
		}
		return nil, fmt.Errorf("private key is %s, want gost2012_256 (GOST R 34.10-2012 256 bit)", name)
	}
	k := &libKey{p: p}
	runtime.AddCleanup(k, func(p *C.EVP_PKEY) { C.EVP_PKEY_free(p) }, p)
	return k, nil
}

func (le *libEngine) sign(k *libKey, msg []byte) ([]byte, error) {
	sig := make([]byte, SignatureSize)
	n := C.size_t(len(sig))
	var buf [errBufSize]C.char
	ok := C.zg_sign(le.e, le.md, k.p, bytesPtr(msg), C.size_t(len(msg)),
		(*C.uchar)(unsafe.Pointer(&sig[0])), &n, &buf[0], errBufSize)
	runtime.KeepAlive(k) // k.p must not be freed during the call
	if ok != 1 {
		return nil, fmt.Errorf("libcrypto: %s", errText(&buf))
	}
	if int(n) != SignatureSize {
		return nil, fmt.Errorf("libcrypto made a %d-byte signature, want %d", n, SignatureSize)
	}
	return sig, nil
}

// errMismatch is returned by verify for a well-formed check that failed.
var errMismatch = errors.New("mismatch")

func (le *libEngine) verify(spki, msg, sig []byte) error {
	if len(spki) == 0 || len(sig) == 0 {
		return errors.New("empty public key or signature")
	}
	var buf [errBufSize]C.char
	switch C.zg_verify(le.e, le.md, bytesPtr(spki), C.long(len(spki)), bytesPtr(msg), C.size_t(len(msg)),
		bytesPtr(sig), C.size_t(len(sig)), &buf[0], errBufSize) {
	case 1:
		return nil
	case 0:
		return errMismatch
	default:
		return fmt.Errorf("libcrypto: %s", errText(&buf))
	}
}
