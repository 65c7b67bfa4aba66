package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
	"github.com/zhkhgate/zhkhgate/internal/modroot"
	"github.com/zhkhgate/zhkhgate/internal/payqr"
)

func TestQRCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	env, out := testEnv(nil)
	cli := func(args ...string) (string, error) {
		out.Reset()
		err := run(ctx, env, append([]string{"qr"}, args...))
		return out.String(), err
	}

	// encode: a JSON object, a flag overriding one requisite, a PNG beside it.
	in := filepath.Join(dir, "bill.json")
	bill := `{"Name": "ООО \"РЦ Тестоград\"", "PersonalAcc": "40702810600000012345", "BankName": "ПАО ТЕСТБАНК",
		"BIC": "044525999", "CorrespAcc": "30101810845250000999", "PayeeINN": "7720999999", "Sum": 100,
		"PersAcc": "1002003004", "PaymPeriod": "022025", "TechCode": "02"}`
	if err := os.WriteFile(in, []byte(bill), 0o600); err != nil {
		t.Fatal(err)
	}
	payloadFile, pngFile := filepath.Join(dir, "bill.qr"), filepath.Join(dir, "bill.png")
	if text, err := cli("encode", "--json", in, "--Sum", "451237", "--encoding", "utf8", "--out", payloadFile, "--png", pngFile); err != nil {
		t.Fatalf("encode: %v\n%s", err, text)
	}
	payload, err := os.ReadFile(payloadFile)
	if err != nil {
		t.Fatal(err)
	}
	want := "ST00012|Name=ООО \"РЦ Тестоград\"|PersonalAcc=40702810600000012345|BankName=ПАО ТЕСТБАНК|BIC=044525999|" +
		"CorrespAcc=30101810845250000999|PayeeINN=7720999999|Sum=451237|PersAcc=1002003004|PaymPeriod=022025|TechCode=02"
	if string(payload) != want {
		t.Errorf("payload\n got %s\nwant %s", payload, want)
	}
	if img, err := os.ReadFile(pngFile); err != nil || !bytes.HasPrefix(img, []byte("\x89PNG")) {
		t.Errorf("png: %v", err)
	}

	// encode to stdout from flags only, in cp1251 (the default).
	text, err := cli("encode", "--Name", "ООО Ромашка", "--PersonalAcc", "40702810600000012345", "--BankName", "Банк",
		"--BIC", "044525999", "--CorrespAcc", "30101810845250000999", "--PaymPeriod", "032025")
	if err != nil || !strings.HasPrefix(text, "ST00011|Name=\xce\xce\xce \xd0\xee\xec\xe0\xf8\xea\xe0|") || !strings.HasSuffix(text, "|PaymPeriod=032025") {
		t.Errorf("encode from flags: %v\n%q", err, text)
	}

	// encode refuses a bad requisite, naming it, and a key the standard does not have.
	if _, err := cli("encode", "--json", in, "--BIC", "12345"); !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.UserMessage(err), "BIC:") {
		t.Errorf("bad BIC: %v", err)
	}
	typo := filepath.Join(dir, "typo.json")
	os.WriteFile(typo, []byte(`{"Name": "x", "Summ": 1}`), 0o600)
	if _, err := cli("encode", "--json", typo); !apperr.Is(err, apperr.Invalid) || !strings.Contains(err.Error(), `"Summ"`) {
		t.Errorf("unknown key: %v", err)
	}
	if _, err := cli("encode", "--json", in, "--encoding", "latin1"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("bad encoding: %v", err)
	}

	// decode: the payload just written, then a sample with deviations.
	text, err = cli("decode", payloadFile)
	var d payqr.Decoded
	if err != nil || json.Unmarshal([]byte(text), &d) != nil || d.Payment.Sum != 451237 || d.Payment.PersAcc != "1002003004" || len(d.Deviations) != 0 {
		t.Errorf("decode: %v\n%s", err, text)
	}
	sample := filepath.Join(samplesDirCLI(t), "gost56042-qr", "qrcoder-koi8.bin")
	text, err = cli("decode", sample)
	if err != nil || !strings.Contains(text, `"Name": "ООО <Три кита>"`) || !strings.Contains(text, `"code": "trailing_separator"`) ||
		!strings.Contains(text, `"encoding": "koi8r"`) {
		t.Errorf("decode sample: %v\n%s", err, text)
	}
	var exit exitCode
	if _, err := cli("decode", "--strict", sample); !errors.As(err, &exit) || exit != exitDeviations {
		t.Errorf("--strict with deviations: %v, want exit %d", err, exitDeviations)
	}
	if _, err := cli("decode", "--strict", payloadFile); err != nil {
		t.Errorf("--strict without deviations: %v", err)
	}

	// decode refuses what is not a payload, naming the file.
	junk := filepath.Join(dir, "junk.bin")
	os.WriteFile(junk, []byte("\x89PNG\r\n\x1a\n\x00\x00"), 0o600)
	if _, err := cli("decode", junk); !apperr.Is(err, apperr.Invalid) || !strings.Contains(apperr.UserMessage(err), "junk.bin: the bytes do not begin with the header ST0001") {
		t.Errorf("junk: %v", err)
	}
	if _, err := cli("decode", filepath.Join(dir, "missing.bin")); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := cli("decode"); !apperr.Is(err, apperr.Invalid) {
		t.Errorf("no file: %v", err)
	}
}

// samplesDirCLI is ../shared/spec/samples beside the repository (tests run in cmd/zhkhgate).
func samplesDirCLI(t *testing.T) string {
	t.Helper()
	dir, err := modroot.Shared("spec", "samples")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}
