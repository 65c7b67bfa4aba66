package sim

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/zhkhgate/zhkhgate/connectors/giszhkh"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsi"
	"github.com/zhkhgate/zhkhgate/connectors/giszhkh/internal/gen/nsicommon"
)

const (
	nsNsiBase   = "http://dom.gosuslugi.ru/schema/integration/nsi-base/"
	nsNsiCommon = "http://dom.gosuslugi.ru/schema/integration/nsi-common/"
	nsNsi       = "http://dom.gosuslugi.ru/schema/integration/nsi/"
	nsXSI       = "http://www.w3.org/2001/XMLSchema-instance"
)

// simNSI is the simulator's reference books: registry → (code, name).
var simNSI = map[int][][2]string{
	1:  {{"1", "Обслуживание домофона"}},
	2:  {{"1", "Холодная вода"}, {"2", "Горячая вода"}, {"3", "Электрическая энергия"}, {"4", "Газ"}, {"5", "Тепловая энергия"}, {"8", "Сточные воды"}},
	50: {{"1", "Плата за содержание жилого помещения"}},
	51: {{"1", "Холодное водоснабжение"}, {"2", "Горячее водоснабжение"}, {"3", "Водоотведение"}, {"4", "Электроснабжение"}, {"6", "Отопление"}, {"17", "Обращение с твердыми коммунальными отходами"}},
	20: rolesBook(),
	PagingBook: func() [][2]string {
		out := make([][2]string, PagingBookSize)
		for i := range out {
			out[i] = [2]string{strconv.Itoa(i + 1), fmt.Sprintf("Элемент %d", i+1)}
		}
		return out
	}(),
}

// PagingBook is the registry number of the simulator's own large common
// book, PagingBookSize elements, so a client rehearses
// exportNsiPagingItem over several pages (no real book has this number).
const (
	PagingBook     = 9001
	PagingBookSize = 2500
)

// rolesBook is НСИ 20 (organization powers) as the World's roles use it.
func rolesBook() [][2]string {
	var out [][2]string
	for _, c := range roles {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b [2]string) int {
		x, _ := strconv.Atoi(a[0])
		y, _ := strconv.Atoi(b[0])
		return x - y
	})
	return out
}

// simNSINamespace makes the simulator's element GUIDs stable.
var simNSINamespace = uuid.MustParse("5b6c7d8e-9f00-4112-8a3b-4c5d6e7f8091")

// NsiGUID is the GUID the simulator gives element code of registry.
func NsiGUID(registry int, code string) string {
	return uuid.NewSHA1(simNSINamespace, fmt.Appendf(nil, "%d/%s", registry, code)).String()
}

type simNsiField struct {
	Type  string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
	Name  string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Name"`
	Value string `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Value"`
}

type simNsiElement struct {
	Code     string      `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Code"`
	GUID     string      `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ GUID"`
	Modified string      `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Modified"`
	IsActual bool        `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ IsActual"`
	Field    simNsiField `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ NsiElementField"`
}

type simNsiItem struct {
	Registry int             `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ NsiItemRegistryNumber"`
	Created  string          `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ Created"`
	Elements []simNsiElement `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-base/ NsiElement"`
}

// simNsiPagingItem is one page of a book (nsi-common NsiPagingItem).
type simNsiPagingItem struct {
	simNsiItem
	TotalItemsCount int `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-common/ TotalItemsCount"`
	TotalPages      int `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-common/ TotalPages"`
	CurrentPage     int `xml:"http://dom.gosuslugi.ru/schema/integration/nsi-common/ CurrentPage"`
}

func (st *state) exportNsi(s *Server, m *message, body []byte, f *fragment) error {
	var registry, page int
	ns := nsNsiCommon
	switch m.op {
	case giszhkh.OpExportNsiItem:
		var req nsicommon.ExportNsiItemRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			return err
		}
		registry = int(req.RegistryNumber)
	case giszhkh.OpExportNsiPagingItem:
		var req nsicommon.ExportNsiPagingItemRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			return err
		}
		registry, page = int(req.RegistryNumber), int(req.Page)
	case giszhkh.OpExportDataProviderNsiItem:
		var req nsi.ExportDataProviderNsiItemRequest
		if err := xml.Unmarshal(body, &req); err != nil {
			return err
		}
		registry, ns = int(req.RegistryNumber), nsNsi
	}
	els, ok := simNSI[registry]
	if !ok {
		return nil // INT002012: nothing to export
	}
	total := len(els)
	var pages int
	if page > 0 {
		// 1000 elements a page (NsiPageSize); past the last page there is
		// nothing to export.
		size := s.nsiPageSize()
		pages = (total + size - 1) / size
		if page > pages {
			return nil
		}
		els = els[(page-1)*size : min(page*size, total)]
	}
	now := s.cfg.Now().Format("2006-01-02T15:04:05.000-07:00")
	item := simNsiItem{Registry: registry, Created: now}
	for _, e := range els {
		item.Elements = append(item.Elements, simNsiElement{Code: e[0], GUID: NsiGUID(registry, e[0]), Modified: now, IsActual: true,
			Field: simNsiField{Type: "nsi-base:NsiElementStringFieldType", Name: "Наименование", Value: e[1]}})
	}
	if page > 0 {
		return f.add(ns, "NsiPagingItem", simNsiPagingItem{simNsiItem: item, TotalItemsCount: total, TotalPages: pages, CurrentPage: page})
	}
	return f.add(ns, "NsiItem", item)
}
