package receipt

import (
	"io"
	"testing"

	"codeberg.org/go-pdf/fpdf"
)

// BenchmarkRender renders the sample document (two pages, eleven services,
// QR code, two embedded fonts) in parallel with one shared Renderer. Run
// it with -benchtime 10000x for the 10 000-document figure; the anchor
// below runs in the same invocation.
func BenchmarkRender(b *testing.B) {
	r, err := NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	d := sample(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := r.Render(io.Discard, d); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRenderCertificate renders the debt-free certificate in parallel.
func BenchmarkRenderCertificate(b *testing.B) {
	r, err := NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	c := sampleCertificate()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := r.RenderCertificate(io.Discard, c); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkFpdfMinimal is the anchor: fpdf's own minimal one-page document
// (a core font, one line of text), rendered the same parallel way.
func BenchmarkFpdfMinimal(b *testing.B) {
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p := fpdf.New("P", "mm", "A4", "")
			p.AddPage()
			p.SetFont("Helvetica", "B", 16)
			p.Cell(40, 10, "Hello, world")
			if err := p.Output(io.Discard); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkNewRenderer measures the one-time font preparation.
func BenchmarkNewRenderer(b *testing.B) {
	for b.Loop() {
		if _, err := NewRenderer(); err != nil {
			b.Fatal(err)
		}
	}
}
