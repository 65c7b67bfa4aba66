package payqr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/boombuler/barcode/qr"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// QuietZone is the white border around the code, in modules (ISO/IEC 18004
// asks for four; scanners fail on codes printed edge to edge).
const QuietZone = 4

// Image renders payload as a QR code size×size pixels: byte mode, error
// correction level M (the standard's choice), a quiet zone of QuietZone
// modules. Modules are whole pixels, so the code is centred and the margin
// may be a little wider than the quiet zone. The payload bytes go into the
// code as they are, without an ECI header (bank apps read the charset from
// the payload's own flag).
func Image(payload []byte, size int) (image.Image, error) {
	const op = "payqr: image"
	if len(payload) == 0 {
		return nil, apperr.Invalidf(op, "the payload is empty")
	}
	if len(payload) > MaxPayload {
		return nil, apperr.Invalidf(op, "the payload is %d bytes, more than the %d a QR code of level M holds", len(payload), MaxPayload)
	}
	code, err := qr.Encode(string(payload), qr.M, qr.Unicode)
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, op, fmt.Errorf("encode %d bytes: %w", len(payload), err))
	}
	dim := code.Bounds().Dx()
	modules := dim + 2*QuietZone
	scale := size / modules
	if scale < 1 {
		return nil, apperr.Invalidf(op, "size %d is too small: the code has %d modules with its quiet zone, so it needs at least %d pixels", size, modules, modules)
	}
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	origin := (size-scale*modules)/2 + QuietZone*scale
	for y := 0; y < dim; y++ {
		for x := 0; x < dim; x++ {
			if r, _, _, _ := code.At(x, y).RGBA(); r != 0 {
				continue // a light module; the image is white already
			}
			for dy := 0; dy < scale; dy++ {
				row := img.Pix[(origin+y*scale+dy)*img.Stride:]
				for dx := 0; dx < scale; dx++ {
					row[origin+x*scale+dx] = 1
				}
			}
		}
	}
	return img, nil
}

// PNG renders payload as Image does and encodes it as a two-colour PNG.
func PNG(payload []byte, size int) ([]byte, error) {
	img, err := Image(payload, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("payqr: png: %w", err)
	}
	return buf.Bytes(), nil
}
