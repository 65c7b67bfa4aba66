package cabinet

import (
	"bytes"
	"encoding/binary"
)

// sniffImage tells a photo's type from its first bytes, never from the browser's word or the
// file name: JPEG (FF D8 FF), PNG (its 8-byte signature), or HEIC/HEIF (an ISO BMFF "ftyp" box
// whose major or a compatible brand is a HEIF image brand). Anything else is "" — refused.
func sniffImage(b []byte) string {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case isHEIF(b):
		return "image/heic"
	}
	return ""
}

// heifBrands are the ftyp brands of still HEIF/HEIC images (ISO/IEC 23008-12).
var heifBrands = map[string]bool{"heic": true, "heix": true, "heim": true, "heis": true, "mif1": true, "msf1": true, "avif": false}

// isHEIF reads the first box: size (4 bytes, big-endian), "ftyp", major brand, minor version,
// then compatible brands up to the box's end.
func isHEIF(b []byte) bool {
	if len(b) < 16 || string(b[4:8]) != "ftyp" {
		return false
	}
	size := int(binary.BigEndian.Uint32(b[0:4]))
	if size < 16 || size > len(b) || size > 4096 || size%4 != 0 {
		return false
	}
	if heifBrands[string(b[8:12])] {
		return true
	}
	for i := 16; i+4 <= size; i += 4 {
		if heifBrands[string(b[i:i+4])] {
			return true
		}
	}
	return false
}
