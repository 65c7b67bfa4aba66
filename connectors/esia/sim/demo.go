package sim

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/zhkhgate/zhkhgate/internal/gost"
)

// DemoClientID is the mnemonic of the gateway's cabinet in the demo simulator.
const DemoClientID = "ZHKHGATE"

// DemoCitizens are the accounts the demo login page offers. oids follow the test stand's
// 1000299xxx style; SNILS values pass the checksum.
var DemoCitizens = []Citizen{
	{OID: 1000299654, Login: "EsiaTest001@yandex.ru", LastName: "Иванов", FirstName: "Иван", MiddleName: "Петрович",
		BirthDate: "14.03.1978", Gender: "M", SNILS: "112-233-445 95", Email: "ivanov@example.org", Mobile: "+7(900)1112233", Trusted: true,
		Address: Address{Text: "614000, Пермский край, г. Пермь, ул. Ленина, д. 1, кв. 1", ZipCode: "614000", Region: "Пермский край",
			City: "г. Пермь", Street: "ул. Ленина", House: "1", Flat: "1"}},
	{OID: 1000299655, Login: "EsiaTest002@yandex.ru", LastName: "Смирнова", FirstName: "Мария", MiddleName: "Сергеевна",
		BirthDate: "02.09.1985", Gender: "F", SNILS: "123-456-789 64", Email: "smirnova@example.org", Mobile: "+7(900)2223344", Trusted: true},
	{OID: 1000299656, Login: "EsiaTest003@yandex.ru", LastName: "Кузнецов", FirstName: "Алексей", MiddleName: "Викторович",
		BirthDate: "21.11.1962", Gender: "M", SNILS: "087-654-321 02", Email: "kuznetsov@example.org", Mobile: "+7(900)3334455", Trusted: false},
}

// LoadOrCreateKey returns the signer whose key.pem and cert.pem are in dir, creating a
// throwaway self-signed pair there on first use (demo and local runs only).
func LoadOrCreateKey(ctx context.Context, tool *gost.OpenSSL, dir, commonName string) (*gost.OpenSSLSigner, error) {
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if _, err := os.Stat(keyFile); errors.Is(err, fs.ErrNotExist) {
		if _, err := tool.GenerateTestCredentials(ctx, dir, commonName); err != nil {
			return nil, err
		}
	}
	return tool.LoadSigner(ctx, keyFile, certFile)
}
