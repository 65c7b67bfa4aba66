package receipt

import (
	"bytes"
	"compress/zlib"
	"embed"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// The vendored DejaVu Sans (Bitstream Vera license, fonts/LICENSE), so the
// PDF never depends on the machine's fonts.
//
//go:embed fonts/DejaVuSans.ttf fonts/DejaVuSans-Bold.ttf
var fontFiles embed.FS

const (
	fontRegular = "DejaVuSans.ttf"
	fontBold    = "DejaVuSans-Bold.ttf"
	family      = "dejavu"
)

// printable reports whether r is in the character set the Renderer embeds:
// ASCII, Latin-1 and Latin Extended-A, Cyrillic with its Supplement (the
// languages of Russia), and the typographic signs a receipt uses.
func printable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0x17f, r >= 0x400 && r <= 0x52f:
		return true
	}
	return strings.ContainsRune(extraRunes, r)
}

// extraRunes are the signs outside the ranges above: dashes, quotes, ellipsis,
// bullet, №, ₽, €, the minus sign, the middle dot of «кВт·ч» and the scissors
// of the cut line.
const extraRunes = "‐‑–—‘’‚“”„…•‰№₽€−∙✂"

// Renderer renders documents with fonts prepared once. Parsing the whole
// DejaVu Sans TTF (760 KB, 6 000 glyphs) and cutting a subset from it costs
// tens of milliseconds per PDF, so NewRenderer cuts each font down to the
// printable character set once, and every document parses only that small
// font. A Renderer is immutable and safe for concurrent use.
type Renderer struct {
	regular, bold []byte
}

// NewRenderer prepares the embedded fonts.
func NewRenderer() (*Renderer, error) {
	var set []rune
	for r := rune(0x20); r <= 0x52f; r++ {
		if printable(r) {
			set = append(set, r)
		}
	}
	set = append(set, []rune(extraRunes)...)
	r := &Renderer{}
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{fontRegular, &r.regular}, {fontBold, &r.bold}} {
		ttf, err := fontFiles.ReadFile("fonts/" + f.name)
		if err != nil {
			return nil, fmt.Errorf("receipt: read font %s: %w", f.name, err)
		}
		cut, err := cutFont(ttf, string(set))
		if err != nil {
			return nil, fmt.Errorf("receipt: prepare font %s: %w", f.name, err)
		}
		*f.dst = cut
	}
	return r, nil
}

// reFontFile finds the embedded TrueType program (FontFile2) fpdf writes for
// a UTF-8 font: the only stream that carries /Length1.
var reFontFile = regexp.MustCompile(`<<\s*/Length (\d+)\s*/Filter /FlateDecode\s*/Length1 (\d+)\s*>>\s*stream\r?\n`)

// cutFont returns the subset of ttf that covers the runes in set. fpdf keeps
// its subsetter private, so this prints set in a throwaway PDF and takes the
// subset fpdf embedded there; the subset is a complete TrueType font with its
// own cmap, which fpdf then loads like any other.
func cutFont(ttf []byte, set string) ([]byte, error) {
	p := fpdf.New("P", "mm", "A4", "")
	p.AddUTF8FontFromBytes(family, "", ttf)
	p.SetFont(family, "", 10)
	p.AddPage()
	p.Cell(10, 10, set)
	var buf bytes.Buffer
	if err := p.Output(&buf); err != nil {
		return nil, err
	}
	m := reFontFile.FindSubmatchIndex(buf.Bytes())
	if m == nil {
		return nil, fmt.Errorf("no embedded font program in fpdf's output")
	}
	n, _ := strconv.Atoi(string(buf.Bytes()[m[2]:m[3]]))
	want, _ := strconv.Atoi(string(buf.Bytes()[m[4]:m[5]]))
	if m[1]+n > buf.Len() {
		return nil, fmt.Errorf("embedded font program truncated")
	}
	zr, err := zlib.NewReader(bytes.NewReader(buf.Bytes()[m[1] : m[1]+n]))
	if err != nil {
		return nil, err
	}
	cut, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	if len(cut) != want {
		return nil, fmt.Errorf("embedded font program is %d bytes, fpdf declared %d", len(cut), want)
	}
	return cut, nil
}

// defaultRenderer backs the package-level Render functions. It holds only
// immutable font bytes, built on first use.
var defaultRenderer = sync.OnceValues(NewRenderer)

// Render writes d as a PDF with a Renderer shared by the package.
func Render(w io.Writer, d Document) error {
	r, err := defaultRenderer()
	if err != nil {
		return err
	}
	return r.Render(w, d)
}

// RenderCertificate writes c as a PDF with a Renderer shared by the package.
func RenderCertificate(w io.Writer, c Certificate) error {
	r, err := defaultRenderer()
	if err != nil {
		return err
	}
	return r.RenderCertificate(w, c)
}

// Page geometry, millimetres (A4 portrait).
const (
	pageW    = 210.0
	pageH    = 297.0
	marginX  = 8.0
	marginT  = 8.0
	contentW = pageW - 2*marginX
	bottomY  = pageH - 12 // where content stops; the footer lives below
	ptMM     = 0.3528     // one typographic point in millimetres
)

// doc wraps one fpdf document with the drawing helpers both forms use.
type doc struct {
	*fpdf.Fpdf
	footer string
}

func (r *Renderer) newDoc(title string, created time.Time) *doc {
	p := fpdf.New("P", "mm", "A4", "")
	p.SetMargins(marginX, marginT, marginX)
	p.SetAutoPageBreak(false, 0)
	p.AddUTF8FontFromBytes(family, "", r.regular)
	p.AddUTF8FontFromBytes(family, "B", r.bold)
	p.SetTitle(title, true)
	p.SetCreator("zhkhgate", true)
	p.SetProducer("zhkhgate", true)
	// A fixed date and sorted catalog make the same document give the same bytes.
	p.SetCreationDate(created)
	p.SetModificationDate(created)
	p.SetCatalogSort(true)
	p.SetLineWidth(0.2)
	p.SetDrawColor(0, 0, 0)
	p.SetCellMargin(0.8)
	d := &doc{Fpdf: p}
	p.SetFooterFunc(func() {
		if d.footer == "" {
			return
		}
		d.font(false, 6.5)
		p.SetTextColor(90, 90, 90)
		p.SetXY(marginX, pageH-9)
		p.CellFormat(contentW, 3, fmt.Sprintf("%s · страница %d из {nb}", d.footer, p.PageNo()), "", 0, "C", false, 0, "")
		p.SetTextColor(0, 0, 0)
	})
	p.AliasNbPages("{nb}")
	return d
}

func (d *doc) font(bold bool, size float64) {
	style := ""
	if bold {
		style = "B"
	}
	d.SetFont(family, style, size)
}

// lineH is the line height for the current font size.
func (d *doc) lineH() float64 {
	pt, _ := d.GetFontSize()
	return pt * ptMM * 1.22
}

// wrap breaks s into lines no wider than w with the current font. It breaks
// at ordinary spaces and newlines only (never at the no-break space inside
// amounts), and splits a word longer than a line.
func (d *doc) wrap(s string, w float64) []string {
	w -= 2 * d.GetCellMargin()
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Split(para, " ") {
			try := word
			if cur != "" {
				try = cur + " " + word
			}
			if d.GetStringWidth(try) <= w {
				cur = try
				continue
			}
			if cur != "" {
				lines = append(lines, cur)
				cur = ""
			}
			for d.GetStringWidth(word) > w {
				rs := []rune(word)
				n := len(rs) - 1
				for n > 1 && d.GetStringWidth(string(rs[:n])) > w {
					n--
				}
				lines = append(lines, string(rs[:n]))
				word = string(rs[n:])
			}
			cur = word
		}
		lines = append(lines, cur)
	}
	return lines
}

// text draws s wrapped into width w at (x, y) and returns the height used.
func (d *doc) text(x, y, w float64, s, align string) float64 {
	lh := d.lineH()
	lines := d.wrap(s, w)
	for i, l := range lines {
		d.SetXY(x, y+float64(i)*lh)
		d.CellFormat(w, lh, l, "", 0, align, false, 0, "")
	}
	return float64(len(lines)) * lh
}

// pair draws "label value" with the label in regular and the value in bold,
// wrapped into width w, and returns the height used.
func (d *doc) pair(x, y, w float64, label, value string) float64 {
	d.font(false, 7)
	lw := d.GetStringWidth(label) + 2*d.GetCellMargin()
	if value == "" {
		return d.text(x, y, w, label, "L")
	}
	if lw > w*0.55 {
		h := d.text(x, y, w, label, "L")
		d.font(true, 7)
		return h + d.text(x, y+h, w, value, "L")
	}
	d.SetXY(x, y)
	d.CellFormat(lw, d.lineH(), label, "", 0, "L", false, 0, "")
	d.font(true, 7)
	return d.text(x+lw-d.GetCellMargin(), y, w-lw+d.GetCellMargin(), value, "L")
}

// sectionTitle draws a grey band with a section's title, wrapped when long,
// and returns its height.
func (d *doc) sectionTitle(y float64, s string) float64 {
	d.font(true, 7.5)
	lines := d.wrap(s, contentW)
	lh := d.lineH()
	h := float64(len(lines))*lh + 1
	d.SetFillColor(225, 225, 225)
	d.Rect(marginX, y, contentW, h, "FD")
	for i, l := range lines {
		d.SetXY(marginX, y+0.5+float64(i)*lh)
		d.CellFormat(contentW, lh, l, "", 0, "L", false, 0, "")
	}
	return h
}

// column describes one table column.
type column struct {
	title string
	w     float64
	align string
}

// table draws rows with a header that repeats on every page it spans.
type table struct {
	d      *doc
	cols   []column
	header func(y float64) float64 // draws the header at y, returns its height
	size   float64
}

// rowHeight measures a row without drawing it.
func (t *table) rowHeight(cells []string, bold bool) float64 {
	t.d.font(bold, t.size)
	n := 1
	for i, c := range cells {
		if l := len(t.d.wrap(c, t.cols[i].w)); l > n {
			n = l
		}
	}
	return float64(n)*t.d.lineH() + 0.8
}

// row draws one row at y, starting a new page with the header first when the
// row does not fit; it returns the y below the row.
func (t *table) row(y float64, cells []string, bold bool, fill bool) float64 {
	h := t.rowHeight(cells, bold)
	if y+h > bottomY {
		t.d.AddPage()
		y = marginT
		y += t.header(y)
	}
	t.d.font(bold, t.size)
	if fill {
		t.d.SetFillColor(240, 240, 240)
	}
	x := marginX
	lh := t.d.lineH()
	for i, c := range cells {
		t.d.Rect(x, y, t.cols[i].w, h, map[bool]string{true: "FD", false: "D"}[fill])
		for j, l := range t.d.wrap(c, t.cols[i].w) {
			t.d.SetXY(x, y+0.4+float64(j)*lh)
			t.d.CellFormat(t.cols[i].w, lh, l, "", 0, t.cols[i].align, false, 0, "")
		}
		x += t.cols[i].w
	}
	return y + h
}

// headerCell draws a bordered, grey, centred, wrapped header cell.
func (d *doc) headerCell(x, y, w, h float64, s string) {
	d.SetFillColor(235, 235, 235)
	d.Rect(x, y, w, h, "FD")
	lh := d.lineH()
	lines := d.wrap(s, w)
	top := y + (h-float64(len(lines))*lh)/2
	for i, l := range lines {
		d.SetXY(x, top+float64(i)*lh)
		d.CellFormat(w, lh, l, "", 0, "C", false, 0, "")
	}
}

// simpleHeader returns a header function for a one-level header of cols.
func (d *doc) simpleHeader(cols []column, size float64) func(y float64) float64 {
	return func(y float64) float64 {
		d.font(false, size)
		n := 1
		for _, c := range cols {
			if l := len(d.wrap(c.title, c.w)); l > n {
				n = l
			}
		}
		h := float64(n)*d.lineH() + 1
		x := marginX
		for _, c := range cols {
			d.headerCell(x, y, c.w, h, c.title)
			x += c.w
		}
		return h
	}
}

// ensure starts a new page when h more millimetres do not fit below y.
func (d *doc) ensure(y, h float64) float64 {
	if y+h > bottomY {
		d.AddPage()
		return marginT
	}
	return y
}

// finish writes the PDF or reports fpdf's accumulated error.
func (d *doc) finish(op string, w io.Writer) error {
	if err := d.Output(w); err != nil {
		return apperr.Wrap(apperr.Internal, op, err)
	}
	return nil
}

var monthNames = [...]string{"", "январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
	"октябрь", "ноябрь", "декабрь"}

// monthPrep are the month names after «в» / «на» (prepositional: «в ноябре»).
var monthPrep = [...]string{"", "январе", "феврале", "марте", "апреле", "мае", "июне", "июле", "августе", "сентябре",
	"октябре", "ноябре", "декабре"}

func (p Period) String() string { return fmt.Sprintf("%s %d г.", monthNames[p.Month], p.Year) }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02.01.2006")
}

// qty prints a Quantity with a decimal comma.
func qty(q Quantity) string { return strings.Replace(string(q), ".", ",", 1) }
