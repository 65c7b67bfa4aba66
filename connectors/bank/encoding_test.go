package bank

import "testing"

func TestDetectEncoding(t *testing.T) {
	text := "15-03-2025;ИВАНОВ ИВАН ИВАНОВИЧ;г. Тестоград, ул. Примерная, д. 1, кв. 12;0225;4512,37\r\n"
	lower := "г. тестоград, ул. примерная, дом один, квартира двенадцать\r\n"
	tests := []struct {
		name string
		in   []byte
		want Detection
	}{
		{"cp1251", cp1251(t, text), Detection{Encoding: CP1251}},
		{"cp1251 lower case", cp1251(t, lower), Detection{Encoding: CP1251}},
		{"cp866", cp866(t, text), Detection{Encoding: CP866}},
		{"cp866 lower case", cp866(t, lower), Detection{Encoding: CP866}},
		{"utf-8", []byte(text), Detection{Encoding: UTF8}},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, text...), Detection{Encoding: UTF8, BOM: true}},
		{"utf-8 cut mid-rune", []byte(text)[:13], Detection{Encoding: UTF8}},
		{"ascii", []byte("15-03-2025;1002003004;100,00\r\n"), Detection{Encoding: CP866, ASCII: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectEncoding(tt.in, CP866); got != tt.want {
				t.Errorf("DetectEncoding = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecoderMixedLines(t *testing.T) {
	name := "ИВАНОВ ИВАН ИВАНОВИЧ;ПЕТРОВА АННА"
	tests := []struct {
		name    string
		enc     Encoding
		line    []byte
		wantErr bool
	}{
		{"cp1251 in cp1251", CP1251, cp1251(t, name), false},
		{"cp866 in cp1251", CP1251, cp866(t, name), true},
		{"utf-8 in cp1251", CP1251, []byte(name), true},
		{"cp1251 in cp866", CP866, cp1251(t, name), true},
		{"cp1251 in utf-8", UTF8, cp1251(t, name), true},
		{"short ambiguous word in cp1251", CP1251, cp1251(t, "д. 1"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := newDecoder(tt.enc).decode(tt.line)
			if (why != "") != tt.wantErr {
				t.Fatalf("decode = %q, %q; want error %v", got, why, tt.wantErr)
			}
			if !tt.wantErr && got != string([]rune(got)) {
				t.Fatalf("decode returned invalid text %q", got)
			}
		})
	}
}
