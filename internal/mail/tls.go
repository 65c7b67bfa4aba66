package mail

import "crypto/tls"

func tlsConfig(host string) *tls.Config { return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12} }
