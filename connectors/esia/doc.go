// Package esia is the client side of ESIA (Gosuslugi) login: OAuth 2.0 / OpenID Connect
// with ESIA's own rules.
//
// What differs from plain OIDC, and how this package handles it:
//   - The client secret is a raw GOST R 34.10-2012 signature (OpenSSL byte order, base64url
//     without padding) over client_id+scope+scope_org+timestamp+state+redirect_uri, plus the
//     code at the token endpoint. It is made per request by a [Signer], so x/oauth2's
//     ClientSecret stays empty and the value travels as a per-request parameter.
//   - Every request carries client_certificate_hash, the Streebog-256 hash (upper-case hex) of
//     the DER certificate registered for the information system.
//   - There is no discovery document and no JWKS. Tokens are verified by go-oidc's
//     [oidc.NewVerifier] with a [KeySet] over pinned ESIA certificates (past, current and next,
//     because ESIA rotates them without notice), for GOST3410_2012_256 and RS256.
//   - The issuer is compared exactly, including "http://" and the trailing slash.
//   - `sub` is a JSON number; the KeySet re-encodes it as a string after the signature check,
//     and [Identity.OID] is an int64.
//   - nonce is not used (ESIA stopped honouring it); the login is bound to `state`, which the
//     caller keeps in the browser's server-side session.
//
// The legacy /aas/oauth2/ac + /aas/oauth2/te flow with a detached CMS client secret is
// available through [Config.Legacy].
package esia
