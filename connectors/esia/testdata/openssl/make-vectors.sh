#!/bin/sh
# Makes the golden vectors of this directory with the openssl command-line tool and the GOST
# engine (Debian libengine-gost-openssl), never with our code, so a byte-order or
# concatenation bug shared by the client and the simulator cannot hide behind a round trip.
# Run once; the outputs are committed. Keys are throwaway test keys.
#
# Keys and certificates were made with:
#   openssl genpkey -engine gost -algorithm gost2012_256 -pkeyopt paramset:A -out client-key.pem
#   openssl req -engine gost -x509 -new -key client-key.pem -out client-cert.pem -days 36500 \
#       -subj "/C=RU/O=zhkhgate test/CN=TESTSYS client" -md_gost12_256
#   (the same for esia-key.pem / esia-cert.pem with CN=ESIA test token signer)
set -eu
export OPENSSL_CONF=/dev/null
b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
sign() { printf %s "$1" | openssl dgst -engine gost -md_gost12_256 -sign "$2" 2>/dev/null | b64url; }

openssl x509 -in client-cert.pem -outform DER | openssl dgst -engine gost -md_gost12_256 -r 2>/dev/null \
    | awk '{print toupper($1)}' > client-cert.hash

# v2 client secret at /aas/oauth2/v2/ac: client_id+scope+scope_org+timestamp+state+redirect_uri
CLIENT=TESTSYS
SCOPE="openid fullname snils email mobile"
TS="2026.11.23 20:15:00 +0300"
STATE=6f1c2a3e-8d4b-4c5a-9e7f-0a1b2c3d4e5f
REDIRECT=http://127.0.0.1:8080/esia/callback
sign "$CLIENT$SCOPE$TS$STATE$REDIRECT" client-key.pem > authorize.secret

# v2 client secret at /aas/oauth2/v3/te: the same string + code (fresh state)
STATE2=0b9e7c1d-2f3a-4b5c-8d6e-7f8091a2b3c4
CODE=c0de-made-by-openssl
sign "$CLIENT$SCOPE$TS$STATE2$REDIRECT$CODE" client-key.pem > token.secret

# ESIA-shaped GOST id_token (numeric sub), signed by the "ESIA" key
H=$(printf %s '{"ver":1,"typ":"JWT","sbt":"id","alg":"GOST3410_2012_256"}' | b64url)
P=$(printf %s '{"iss":"http://127.0.0.1:8091/","aud":"TESTSYS","sub":1000299654,"exp":1795457700,"iat":1795454100,"nbf":1795454100,"auth_time":1795454090,"amr":"PWD","urn:esia:amd":"PWD","urn:esia:sid":"5b0e3a1c-0000-4000-8000-000000000001","urn:esia:sbj":{"urn:esia:sbj:typ":"P","urn:esia:sbj:oid":1000299654,"urn:esia:sbj:nam":"OID.1000299654","urn:esia:sbj:is_tru":true}}' | b64url)
echo "$H.$P.$(sign "$H.$P" esia-key.pem)" > id_token.jwt
