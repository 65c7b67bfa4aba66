// Package gen holds the Go types generated from the official GIS ZhKH WSDL/XSD
// (format 16.3.0.0, ../shared/spec/gis-zhkh from the repository root), one
// package per XML namespace, and the operation tables of every service.
//
// Everything below this directory except cmd/ is written by `go generate`
// (cmd/gisgen) and must never be edited by hand.
package gen

//go:generate go run ./cmd/gisgen -spec ../shared/spec/gis-zhkh -out connectors/giszhkh/internal/gen
