// Package billing reads the monthly charge files a billing system hands the
// settlement center: one line per account × service with tariff, volumes,
// norm, the charged amount, recalculation with its reason, benefits and the
// total. Two documented formats, semicolon-separated text (UTF-8 or cp1251)
// and JSON, are described in FORMAT.md.
//
// Like the bank registries, a file is read as a stream: Next yields one Line
// or a *LineError naming file, line, column and reason, and Summary carries
// the file-level verdict (encoding, declared organization and period, the
// totals line against the lines, an order-independent hash of the content).
// Checks that need the database (known accounts and services, versions)
// belong to the store.
package billing
