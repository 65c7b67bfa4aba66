//go:build !cgo

package gost

import "errors"

// inProcessAvailable reports whether this build can run GOST in-process:
// without cgo it cannot, and every operation runs the openssl command.
const inProcessAvailable = false

var errNoCgo = errors.New("built without cgo: GOST runs through the openssl command")

// libEngine and libKey stand in for the cgo types; NewOpenSSL never makes them
// in a build without cgo.
type (
	libEngine struct{}
	libKey    struct{}
)

var errMismatch = errors.New("mismatch")

func loadEngine(string) (*libEngine, error)             { return nil, errNoCgo }
func (*libEngine) digest([]byte) (Digest, error)        { return Digest{}, errNoCgo }
func (*libEngine) loadKey([]byte) (*libKey, error)      { return nil, errNoCgo }
func (*libEngine) sign(*libKey, []byte) ([]byte, error) { return nil, errNoCgo }
func (*libEngine) verify(spki, msg, sig []byte) error   { return errNoCgo }
