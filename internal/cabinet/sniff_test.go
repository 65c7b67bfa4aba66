package cabinet

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

func encoded(t testing.TB, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := enc(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSniffImage(t *testing.T) {
	t.Parallel()
	jpg := encoded(t, func(b *bytes.Buffer, i image.Image) error { return jpeg.Encode(b, i, nil) })
	pngb := encoded(t, func(b *bytes.Buffer, i image.Image) error { return png.Encode(b, i) })
	heic := append([]byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"), make([]byte, 32)...)
	heicMajor := append([]byte("\x00\x00\x00\x10ftypheic\x00\x00\x00\x00"), make([]byte, 8)...)
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"jpeg", jpg, "image/jpeg"},
		{"png", pngb, "image/png"},
		{"heic compatible brand", heic, "image/heic"},
		{"heic major brand", heicMajor, "image/heic"},
		{"html named .jpg", []byte("<html><script>alert(1)</script>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"mp4", append([]byte("\x00\x00\x00\x14ftypisom\x00\x00\x00\x00isom"), make([]byte, 8)...), ""},
		{"ftyp box longer than the data", []byte("\x00\x00\x10\x00ftypheic\x00\x00\x00\x00"), ""},
		{"pdf", []byte("%PDF-1.7"), ""},
		{"empty", nil, ""},
		{"short jpeg", []byte{0xFF, 0xD8}, ""},
	} {
		if got := sniffImage(c.data); got != c.want {
			t.Errorf("%s: sniffImage = %q, want %q", c.name, got, c.want)
		}
	}
}

// FuzzSniffImage: never panics, and whatever it accepts starts with its type's signature.
func FuzzSniffImage(f *testing.F) {
	f.Add([]byte("\xFF\xD8\xFF\xE0"))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic"))
	f.Add([]byte("\x00\x00\x00\x10ftypheic\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		switch sniffImage(b) {
		case "image/jpeg":
			if b[0] != 0xFF || b[1] != 0xD8 {
				t.Fatal("jpeg without SOI")
			}
		case "image/png":
			if !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Fatal("png without signature")
			}
		case "image/heic":
			if string(b[4:8]) != "ftyp" {
				t.Fatal("heic without ftyp")
			}
		case "":
		default:
			t.Fatal("unknown type")
		}
	})
}
