package imagehash_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"
	"time"

	"golang.org/x/image/bmp"
	"golang.org/x/image/draw"

	"github.com/mailgw/mailgw/antispam/imagehash"
)

// banner draws a picture the way spam images look: a coloured
// background with blocks of "text" in a layout fixed by seed.
func banner(w, h int, seed uint32) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg := color.RGBA{uint8(seed * 53), uint8(200 - seed*31), uint8(90 + seed*17), 255}
	draw.Draw(img, img.Bounds(), &image.Uniform{bg}, image.Point{}, draw.Src)
	r := seed*2654435761 + 1
	for i := 0; i < 14; i++ {
		r = r*1103515245 + 12345
		x0, y0 := int(r>>8)%w, int(r>>16)%h
		bw, bh := w/6+int(r>>4)%(w/4), h/12+int(r>>12)%(h/6)
		c := color.RGBA{uint8(r >> 3), uint8(r >> 11), uint8(r >> 19), 255}
		draw.Draw(img, image.Rect(x0, y0, x0+bw, y0+bh), &image.Uniform{c}, image.Point{}, draw.Src)
	}
	return img
}

func encode(t *testing.T, img image.Image, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch format {
	case "png":
		err = png.Encode(&b, img)
	case "jpeg":
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 55})
	case "gif":
		err = gif.Encode(&b, img, nil)
	case "bmp":
		err = bmp.Encode(&b, img)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func scale(img image.Image, w, h int) image.Image {
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	return dst
}

func TestHashMatchesCopies(t *testing.T) {
	orig := banner(480, 300, 1)
	base, format, err := imagehash.Of(encode(t, orig, "png"))
	if err != nil || format != "png" {
		t.Fatalf("Of: %v %s", err, format)
	}
	tests := []struct {
		name    string
		data    []byte
		format  string
		maxDist int // the distance to base must be at most maxDist...
		minDist int // ...and at least minDist
	}{
		{"same PNG", encode(t, orig, "png"), "png", 0, 0},
		{"recompressed as JPEG", encode(t, orig, "jpeg"), "jpeg", 4, 0},
		{"half size, JPEG", encode(t, scale(orig, 240, 150), "jpeg"), "jpeg", 5, 0},
		{"double size, PNG", encode(t, scale(orig, 960, 600), "png"), "png", 4, 0},
		{"other aspect, GIF", encode(t, scale(orig, 400, 300), "gif"), "gif", 6, 0},
		{"BMP", encode(t, orig, "bmp"), "bmp", 0, 0},
		{"a different image", encode(t, banner(480, 300, 7), "png"), "png", 64, 16},
		{"another different image", encode(t, banner(300, 480, 3), "jpeg"), "jpeg", 64, 16},
	}
	for _, tc := range tests {
		h, format, err := imagehash.Of(tc.data)
		if err != nil || format != tc.format {
			t.Errorf("%s: %v, format %s", tc.name, err, format)
			continue
		}
		d := imagehash.Distance(base, h)
		t.Logf("%s: distance %d", tc.name, d)
		if d > tc.maxDist || d < tc.minDist {
			t.Errorf("%s: distance %d, want %d-%d", tc.name, d, tc.minDist, tc.maxDist)
		}
	}
}

// bombPNG is a valid PNG signature and IHDR (RFC 2083 section 4.1.1)
// claiming w×h pixels, followed by a few bytes of IDAT: the shape of a
// decompression bomb, without its payload.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

func TestRefused(t *testing.T) {
	good := encode(t, banner(64, 64, 2), "png")
	flat := image.NewGray(image.Rect(0, 0, 100, 100))
	tests := []struct {
		name string
		data []byte
		want error // nil: any error
	}{
		{"bomb 100000x100000", bombPNG(100000, 100000), imagehash.ErrTooLarge},
		{"bomb 5000x4000", bombPNG(5000, 4000), imagehash.ErrTooLarge},
		{"tiny", encode(t, banner(64, 64, 2).SubImage(image.Rect(0, 0, 10, 10)), "png"), imagehash.ErrTooSmall},
		{"flat", encode(t, flat, "png"), imagehash.ErrFlat},
		{"not an image", []byte("GIF? no, text"), imagehash.ErrFormat},
		{"empty", nil, imagehash.ErrFormat},
		{"truncated PNG", good[:len(good)/2], nil},
		{"PNG header only", good[:40], nil},
		{"JPEG magic only", []byte("\xff\xd8\xff\xe0garbage"), nil},
	}
	for _, tc := range tests {
		start := time.Now()
		_, _, err := imagehash.Of(tc.data)
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("%s: took %v", tc.name, took)
		}
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestHashText(t *testing.T) {
	h := imagehash.Hash(0x0123456789abcdef)
	if s := h.String(); s != "0123456789abcdef" {
		t.Errorf("String: %s", s)
	}
	if back, err := imagehash.ParseHash(h.String()); err != nil || back != h {
		t.Errorf("ParseHash: %v %x", err, back)
	}
	for _, bad := range []string{"", "0123", "0123456789abcdeg", "0123456789abcdef0", "+123456789abcdef"} {
		if _, err := imagehash.ParseHash(bad); err == nil {
			t.Errorf("ParseHash(%q) accepted", bad)
		}
	}
	if d := imagehash.Distance(0, ^imagehash.Hash(0)); d != 64 {
		t.Errorf("Distance: %d", d)
	}
}

// BenchmarkOf hashes a 1200×800 JPEG.
func BenchmarkOf(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, banner(1200, 800, 5), nil); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, _, err := imagehash.Of(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
