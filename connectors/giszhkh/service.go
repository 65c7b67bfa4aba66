package giszhkh

import (
	"fmt"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/bills"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/devicemetering"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/housemanagement"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsi"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsicommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/organizationsregistrycommon"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/payment"
)

// Service names one GIS ZhKH service (the directory of its WSDL).
type Service string

// Services used by the gateway.
const (
	ServiceBills           Service = "bills"
	ServiceHouseManagement Service = "house-management"
	ServiceDeviceMetering  Service = "device-metering"
	ServicePayment         Service = "payment"
	ServiceNsi             Service = "nsi"
	ServiceNsiCommon       Service = "nsi-common"
	ServiceOrgRegistry     Service = "organizations-registry-common"
)

// Operations (WSDL operation names) the gateway uses.
const (
	OpExportOrgRegistry               = "exportOrgRegistry"
	OpExportDataProvider              = "exportDataProvider"
	OpExportNsiItem                   = "exportNsiItem"
	OpExportNsiPagingItem             = "exportNsiPagingItem"
	OpExportDataProviderNsiItem       = "exportDataProviderNsiItem"
	OpExportHouseData                 = "exportHouseData"
	OpExportAccountData               = "exportAccountData"
	OpImportAccountData               = "importAccountData"
	OpExportMeteringDeviceData        = "exportMeteringDeviceData"
	OpImportMeteringDeviceData        = "importMeteringDeviceData"
	OpExportMeteringDeviceHistory     = "exportMeteringDeviceHistory"
	OpImportMeteringDeviceValues      = "importMeteringDeviceValues"
	OpImportPaymentDocumentData       = "importPaymentDocumentData"
	OpExportPaymentDocumentData       = "exportPaymentDocumentData"
	OpImportSupplierNotifications     = "importSupplierNotificationsOfOrderExecution"
	OpImportNotificationsCancellation = "importNotificationsOfOrderExecutionCancellation"
	OpGetState                        = "getState"
)

// OperationInfo describes one operation as the transport needs it.
type OperationInfo struct {
	Service    Service
	Name       string
	SOAPAction string
	Path       string // endpoint path below the base URL
	RequestNS  string
	Request    string // body element
	Header     string // "RequestHeader" or "ISRequestHeader"
}

// operations indexes the generated WSDL tables: service → operation → info.
var operations = func() map[Service]map[string]OperationInfo {
	m := map[Service]map[string]OperationInfo{}
	add := func(s Service, path string, name, action, ns, req, hdr string) {
		if m[s] == nil {
			m[s] = map[string]OperationInfo{}
		}
		m[s][name] = OperationInfo{Service: s, Name: name, SOAPAction: action, Path: path, RequestNS: ns, Request: req, Header: hdr}
	}
	for _, o := range bills.Operations {
		add(ServiceBills, bills.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range housemanagement.Operations {
		add(ServiceHouseManagement, housemanagement.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range devicemetering.Operations {
		add(ServiceDeviceMetering, devicemetering.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range payment.Operations {
		add(ServicePayment, payment.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range nsi.Operations {
		add(ServiceNsi, nsi.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range nsicommon.Operations {
		add(ServiceNsiCommon, nsicommon.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	for _, o := range organizationsregistrycommon.Operations {
		add(ServiceOrgRegistry, organizationsregistrycommon.EndpointPath, o.Name, o.SOAPAction, o.RequestNS, o.Request, o.Header)
	}
	return m
}()

// LookupOperation returns the WSDL facts of an operation of a service.
func LookupOperation(s Service, name string) (OperationInfo, error) {
	info, ok := operations[s][name]
	if !ok {
		return OperationInfo{}, fmt.Errorf("giszhkh: service %q has no operation %q", s, name)
	}
	return info, nil
}

// ServiceByPath returns the service served at an endpoint path.
func ServiceByPath(path string) (Service, bool) {
	for s, ops := range operations {
		for _, o := range ops {
			if o.Path == path {
				return s, true
			}
		}
	}
	return "", false
}

// OperationByAction returns the operation of service s with SOAPAction action.
func OperationByAction(s Service, action string) (OperationInfo, bool) {
	for _, o := range operations[s] {
		if o.SOAPAction == action {
			return o, true
		}
	}
	return OperationInfo{}, false
}
