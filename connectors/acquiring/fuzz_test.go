package acquiring_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/acquiring"
)

// FuzzParseCallback feeds arbitrary query strings to the callback parser: it must never panic,
// and whatever it accepts must carry a checksum that verifies and the fields it promises.
func FuzzParseCallback(f *testing.F) {
	secret := []byte("fuzz-secret")
	ok := url.Values{"mdOrder": {"a-1"}, "orderNumber": {"N1"}, "operation": {"deposited"}, "status": {"1"}}
	ok.Set("checksum", acquiring.Checksum(secret, ok))
	f.Add(ok.Encode())
	f.Add("mdOrder=x&orderNumber=y&operation=approved&status=0&checksum=00")
	f.Add("checksum=&checksum=")
	f.Add("mdOrder=%ff&status=2")
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		cb, err := acquiring.ParseCallback(secret, v)
		if err != nil {
			return
		}
		if !strings.EqualFold(v.Get("checksum"), acquiring.Checksum(secret, v)) || cb.OrderID == "" || cb.OrderNumber == "" ||
			cb.Operation == "" || len(v["status"]) != 1 {
			t.Fatalf("accepted %q as %+v", q, cb)
		}
	})
}
