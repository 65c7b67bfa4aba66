// Package migrations embeds the SQL migrations of zhkhgate's canonical schema.
//
// Files are goose migrations named NNNNN_name.sql. Number ranges by area keep
// parallel work from colliding: 00001–00099 core, 00100–00199 bank registries,
// 00200–00299 GIS ZhKH, 00300–00399 residents and the cabinet, 00400–00409 security.
package migrations

import "embed"

// FS holds every migration file.
//
//go:embed *.sql
var FS embed.FS
