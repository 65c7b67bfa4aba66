// Package giszhkh speaks the GIS ZhKH (dom.gosuslugi.ru) asynchronous SOAP
// API for a settlement centre: it builds schema-valid request bodies from
// plain item structs, wraps them in SOAP 1.1 envelopes signed with XAdES-BES
// (GOST R 34.10-2012), sends them, polls getState and decodes per-item
// results matched by TransportGUID.
//
// The generated schema types (internal/gen) never leave this package: callers
// pass and receive the item and result structs declared here, with money in
// kopecks (int64) — the conversion to rubles (bills, supplier notifications)
// happens inside the request builders.
//
// # Pieces
//
//   - Builder: one method per request type (ImportAccounts, ImportMeters,
//     ImportReadings, ImportPaymentDocuments, WithdrawPaymentDocuments,
//     ImportSupplierNotifications, ImportCancellations, ExportAccounts,
//     ExportHouse, ExportMeters, ExportMeterHistory, ExportPaymentDocuments,
//     ExportNsiItem, ExportDataProviderNsiItem, ExportOrgRegistry,
//     ExportDataProvider) and GetState. Bodies are written directly in
//     exclusive canonical form (internal/canon) and signed with an
//     enveloped XAdES-BES signature (internal/xades). Every request type is
//     checked against the official XSD with xmllint in the tests.
//   - Client: Send (→ Ack), GetState (→ State with per-item results), and
//     Classify, the error policy: EXP001000, HTTP 502/503/504 and transport
//     errors → Resend (as a new message after a backoff; timeouts re-send
//     the same message, since GIS may have it), INT002013 → Lost (send
//     again), AUT…/FMT…/anything else → Stop (an operator must look).
//     INT002012 in a result is an empty export (State.Empty), not an error.
//   - Limits: the XSD maxOccurs are the Max* constants; jobs cap lower
//     where practice says so.
//
// Transport is plain HTTP to a configurable base URL. Production GIS ZhKH
// requires mutual GOST TLS, which Go's crypto/tls cannot do; run a TLS
// sidecar (stunnel built against OpenSSL with the GOST engine, or CryptoPro
// stunnel) listening on 127.0.0.1 and point the base URL at it, e.g.
//
//	; stunnel.conf
//	[gis]
//	client = yes
//	accept = 127.0.0.1:8080
//	connect = api.dom.gosuslugi.ru:443
//	cert = /etc/zhkhgate/gis-client.pem   ; GOST client certificate + key
//	CAfile = /etc/zhkhgate/gis-ca.pem
//	verifyChain = yes
//	; OpenSSL gost engine; suite names differ between engine versions
//	ciphers = GOST2012-GOST8912-GOST8912:LEGACY-GOST2012-GOST8912-GOST8912
//
// and configure the base URL http://127.0.0.1:8080.
package giszhkh
