package esia_test

import (
	"context"
	"testing"
	"time"

	"github.com/zhkhgate/zhkhgate/connectors/esia"
	"github.com/zhkhgate/zhkhgate/connectors/esia/esiatest"
	"github.com/zhkhgate/zhkhgate/connectors/esia/sim"
)

// BenchmarkVerifyIDToken measures one id_token check: go-oidc claims checks plus the signature,
// an openssl run for GOST or crypto/rsa for RS256.
func BenchmarkVerifyIDToken(b *testing.B) {
	for _, alg := range []string{esia.AlgGOST, esia.AlgRS256} {
		b.Run(alg, func(b *testing.B) {
			env := esiatest.Start(b, esiatest.Options{RedirectURI: callback, TokenAlg: alg})
			ctx := context.Background()
			now := time.Now()
			tok, err := env.Sim.MintToken(ctx, alg, esia.SubjectID,
				sim.IDClaims(env.Config.Issuer, "TESTSYS", 1000299654, "sid", now, now, now.Add(time.Hour), true))
			if err != nil {
				b.Fatal(err)
			}
			keys, err := esia.NewKeySet(env.Config.ESIACertificates, env.Tool, nil)
			if err != nil {
				b.Fatal(err)
			}
			v := esia.NewVerifier(env.Config.Issuer, "TESTSYS", keys, nil)
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.VerifyIDToken(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAuthCodeURL measures building a signed authorization URL (one GOST signature).
func BenchmarkAuthCodeURL(b *testing.B) {
	env := esiatest.Start(b, esiatest.Options{RedirectURI: callback})
	c, err := esia.New(env.Config, env.ClientSigner, env.Tool)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := c.AuthCodeURL(ctx, esia.NewState()); err != nil {
			b.Fatal(err)
		}
	}
}
