package giszhkh_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
)

const ackSample = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
	`<base:AckRequest xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/"><base:Ack><base:MessageGUID>11111111-2222-4333-8444-555555555555</base:MessageGUID>` +
	`<base:RequesterMessageGUID>00000000-0000-4000-8000-000000000001</base:RequesterMessageGUID></base:Ack></base:AckRequest></soapenv:Body></soapenv:Envelope>`

const faultSample = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><soapenv:Fault><faultcode>soapenv:Server</faultcode>` +
	`<faultstring>x</faultstring><detail><base:Fault xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/"><base:ErrorCode>EXP001000</base:ErrorCode>` +
	`<base:ErrorMessage>Произошла ошибка</base:ErrorMessage></base:Fault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

const stateSample = `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>` +
	`<b:getStateResult xmlns:b="http://dom.gosuslugi.ru/schema/integration/bills/" xmlns:base="http://dom.gosuslugi.ru/schema/integration/base/" base:version="11.2.0.16">` +
	`<base:RequestState>3</base:RequestState><base:MessageGUID>11111111-2222-4333-8444-555555555555</base:MessageGUID>` +
	`<b:ImportResult><base:GUID>d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a</base:GUID><base:TransportGUID>00000000-0000-4000-8000-000000000002</base:TransportGUID>` +
	`<base:UniqueNumber>10АБ000001-01-1026</base:UniqueNumber><base:UpdateDate>2026-10-25T12:00:00.000+03:00</base:UpdateDate></b:ImportResult>` +
	`<b:ImportResult><base:TransportGUID>00000000-0000-4000-8000-000000000003</base:TransportGUID><base:Error><base:ErrorCode>INT004132</base:ErrorCode>` +
	`<base:Description>Платежный документ с таким номером уже существует.</base:Description></base:Error></b:ImportResult></b:getStateResult></soapenv:Body></soapenv:Envelope>`

func TestDecode(t *testing.T) {
	ack, err := giszhkh.DecodeAck([]byte(ackSample))
	if err != nil || ack.MessageGUID != "11111111-2222-4333-8444-555555555555" || ack.RequesterMessageGUID == "" {
		t.Errorf("DecodeAck = %+v, %v", ack, err)
	}
	_, err = giszhkh.DecodeAck([]byte(faultSample))
	var f *giszhkh.Fault
	if !errors.As(err, &f) || f.Code != "EXP001000" || giszhkh.Classify(err) != giszhkh.Resend {
		t.Errorf("DecodeAck(fault) = %v", err)
	}
	st, err := giszhkh.DecodeState(giszhkh.ServiceBills, []byte(stateSample))
	if err != nil || st.RequestState != 3 || len(st.Results) != 2 || st.Results[0].UniqueNumber != "10АБ000001-01-1026" ||
		len(st.Results[1].Errors) != 1 || st.Results[1].Errors[0].Code != "INT004132" {
		t.Errorf("DecodeState = %+v, %v", st, err)
	}
	for _, bad := range []string{"", "<x", "<a/>", strings.Replace(stateSample, ">3<", ">7<", 1), strings.Replace(ackSample, "AckRequest", "Other", 2)} {
		if _, err := giszhkh.DecodeState(giszhkh.ServiceBills, []byte(bad)); err == nil {
			t.Errorf("DecodeState(%.40q) accepted", bad)
		}
	}
}

func TestRubles(t *testing.T) {
	for k, s := range map[int64]string{0: "0.00", 5: "0.05", 150001: "1500.01", -12050: "-120.50"} {
		if got := giszhkh.Rubles(k); got != s {
			t.Errorf("Rubles(%d) = %s, want %s", k, got, s)
		}
		if back, err := giszhkh.ParseRubles(s); err != nil || back != k {
			t.Errorf("ParseRubles(%s) = %d, %v", s, back, err)
		}
	}
	for _, bad := range []string{"", "1.234", "abc", "1,5", "--1", "+1"} {
		if _, err := giszhkh.ParseRubles(bad); err == nil {
			t.Errorf("ParseRubles(%q) accepted", bad)
		}
	}
}

func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(stateSample), 0)
	f.Add([]byte(ackSample), 1)
	f.Add([]byte(faultSample), 2)
	services := []giszhkh.Service{giszhkh.ServiceBills, giszhkh.ServiceHouseManagement, giszhkh.ServiceDeviceMetering, giszhkh.ServicePayment, giszhkh.ServiceNsi}
	f.Fuzz(func(t *testing.T, data []byte, svc int) {
		s := services[(svc%len(services)+len(services))%len(services)]
		st, err := giszhkh.DecodeState(s, data)
		if err == nil && (st.RequestState < 1 || st.RequestState > 3) {
			t.Fatalf("accepted RequestState %d", st.RequestState)
		}
		ack, err := giszhkh.DecodeAck(data)
		if err == nil && ack.MessageGUID == "" {
			t.Fatal("accepted an Ack without MessageGUID")
		}
	})
}

func FuzzParseRubles(f *testing.F) {
	for _, s := range []string{"0", "12.3", "-1.05", "99999999999.99", "1e3", "", "92233720368547758.07"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := giszhkh.ParseRubles(s)
		if err != nil {
			return
		}
		back, err := giszhkh.ParseRubles(giszhkh.Rubles(k))
		if err != nil || back != k {
			t.Fatalf("%q → %d → %q → %d, %v", s, k, giszhkh.Rubles(k), back, err)
		}
	})
}
