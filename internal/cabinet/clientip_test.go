package cabinet

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientIP(t *testing.T) {
	c := &Cabinet{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.5:4000", "", "203.0.113.5"},
		{"203.0.113.5:4000", "1.2.3.4", "203.0.113.5"}, // an untrusted peer cannot claim another address
		{"10.0.0.2:4000", "198.51.100.7", "198.51.100.7"},
		{"10.0.0.2:4000", "6.6.6.6, 198.51.100.7, 10.0.0.3", "198.51.100.7"}, // the client forged the first hop
		{"10.0.0.2:4000", "garbage, 198.51.100.7", "198.51.100.7"},
		{"10.0.0.2:4000", "198.51.100.7, garbage", "10.0.0.2"},
		{"10.0.0.2:4000", "", "10.0.0.2"},
		{"[::ffff:203.0.113.5]:4000", "", "203.0.113.5"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := c.clientIP(r); got != tc.want {
			t.Errorf("clientIP(%s, XFF %q) = %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}
