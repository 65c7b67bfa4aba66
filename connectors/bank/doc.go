// Package bank reads the files banks send a settlement center: payment
// registries described by versioned format profiles, and bank statements in
// the 1CClientBankExchange format.
//
// A registry is read as a stream, one line at a time, so memory stays flat
// whatever the file size. The reader yields typed rows and per-line errors
// (file, line, field, reason) and, at the end, a Summary with the file-level
// verdict: encoding, totals line against the rows, structural problems.
// Semantic checks that need the clock or the database (future dates, known
// accounts, duplicates) belong to the mapping and store layers.
package bank
