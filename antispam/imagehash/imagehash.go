// Package imagehash computes perceptual hashes of images and finds the
// known spam image nearest to one. Its one job is the distance; how near
// counts as the same image is the caller's threshold (ImageMaxDistance of
// [mailgw.antispam]).
//
// The hash is a difference hash (dHash): the image is reduced to a grey
// grid of 9×8 cells, each the mean brightness of its area, and each of the
// 64 bits says whether a cell is brighter than its right neighbour. It
// describes the shape of the picture, not its bytes, so the same image
// rescaled, recompressed or recoloured slightly keeps (nearly) the same
// bits; the Hamming distance of two hashes counts the bits that differ.
//
// Decoding is bounded: the header's dimensions are read first
// (image.DecodeConfig) and an image of more than MaxPixels is not decoded,
// so a small file claiming huge dimensions (a decompression bomb) costs
// nothing.
package imagehash

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math/bits"
	"strconv"

	"golang.org/x/image/bmp"
	"golang.org/x/image/webp"
)

// Bounds of what is hashed.
const (
	// MaxPixels is the largest image decoded: 16 megapixels, up to 64 MB
	// of RGBA while it is hashed. Spam images are far smaller.
	MaxPixels = 16 << 20
	// MinSide is the smallest width and height hashed: smaller images are
	// icons and tracking pixels, whose hashes would match by chance.
	MinSide = 16
	// minContrast is the least difference (of 0-255 grey) between the
	// brightest and the darkest cell: a flat image hashes to all zeros,
	// which says nothing.
	minContrast = 8
	// deadZone is how much brighter (of 0-255 grey) a cell must be than
	// its right neighbour for a 1 bit: without it, the cells of a flat
	// background would flip their bits with every recompression.
	deadZone = 2
	// maxSamples is the most pixels read for the hash of one image.
	maxSamples = 1 << 20
)

// Grid of the difference hash: gridW-1 comparisons in each of gridH rows
// make the 64 bits.
const (
	gridW = 9
	gridH = 8
)

// Hash is the 64-bit difference hash of an image.
type Hash uint64

// Distance is the Hamming distance of two hashes, 0 to 64.
func Distance(a, b Hash) int { return bits.OnesCount64(uint64(a ^ b)) }

// Errors of Of. None of them makes a message fail: the image is not
// compared.
var (
	ErrFormat   = errors.New("imagehash: not a PNG, JPEG, GIF, BMP or WebP image")
	ErrTooLarge = errors.New("imagehash: image larger than MaxPixels")
	ErrTooSmall = errors.New("imagehash: image smaller than MinSide")
	ErrFlat     = errors.New("imagehash: image without contrast")
)

// codec is one image format: its magic (RFC 2083 section 3.1 for PNG,
// ITU T.81 SOI for JPEG, GIF89a spec section 17, BMP file header, RIFF
// WEBP of RFC 9649 section 2.5) and its decoders. The formats are chosen
// here rather than by image.Decode's process-wide registry.
type codec struct {
	name   string
	magic  []byte
	offset int // of magic in the file
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

func codecs() []codec {
	return []codec{
		{"png", []byte("\x89PNG\r\n\x1a\n"), 0, png.DecodeConfig, png.Decode},
		{"jpeg", []byte("\xff\xd8\xff"), 0, jpeg.DecodeConfig, jpeg.Decode},
		{"gif", []byte("GIF8"), 0, gif.DecodeConfig, gif.Decode}, // the first frame only
		{"bmp", []byte("BM"), 0, bmp.DecodeConfig, bmp.Decode},
		{"webp", []byte("WEBP"), 8, webp.DecodeConfig, webp.Decode},
	}
}

func codecOf(data []byte) (codec, bool) {
	for _, c := range codecs() {
		if len(data) >= c.offset+len(c.magic) && bytes.Equal(data[c.offset:c.offset+len(c.magic)], c.magic) {
			return c, true
		}
	}
	return codec{}, false
}

// Of decodes an image file (PNG, JPEG, GIF, BMP or WebP, told by its
// magic, not by its name) and returns its hash and format.
func Of(data []byte) (Hash, string, error) {
	c, ok := codecOf(data)
	if !ok {
		return 0, "", ErrFormat
	}
	cfg, err := c.config(bytes.NewReader(data))
	switch {
	case err != nil:
		return 0, c.name, fmt.Errorf("imagehash: %s header: %w", c.name, err)
	case cfg.Width < MinSide || cfg.Height < MinSide:
		return 0, c.name, ErrTooSmall
	case int64(cfg.Width)*int64(cfg.Height) > MaxPixels:
		return 0, c.name, ErrTooLarge
	}
	img, err := c.decode(bytes.NewReader(data))
	if err != nil {
		return 0, c.name, fmt.Errorf("imagehash: %s: %w", c.name, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return 0, c.name, fmt.Errorf("imagehash: %s: decoded %dx%d, header %dx%d", c.name, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	h, err := Image(img)
	return h, c.name, err
}

// Image returns the hash of a decoded image.
func Image(img image.Image) (Hash, error) {
	g := grid(img)
	lo, hi := g[0][0], g[0][0]
	var h Hash
	for y := 0; y < gridH; y++ {
		for x := 0; x < gridW; x++ {
			lo, hi = min(lo, g[y][x]), max(hi, g[y][x])
			if x > 0 {
				h <<= 1
				if g[y][x-1] > g[y][x]+deadZone {
					h |= 1
				}
			}
		}
	}
	if hi-lo < minContrast {
		return 0, ErrFlat
	}
	return h, nil
}

// grid returns the mean grey (0-255) of each cell of a gridW×gridH
// division of the image. Of a large image only a regular lattice of about
// maxSamples pixels is read, which bounds the time while keeping the
// means.
func grid(img image.Image) [gridH][gridW]float64 {
	var sum [gridH][gridW]float64
	var n [gridH][gridW]int
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := 1
	for (w/step)*(h/step) > maxSamples {
		step++
	}
	for y := 0; y < h; y += step {
		cy := y * gridH / h
		for x := 0; x < w; x += step {
			cx := x * gridW / w
			sum[cy][cx] += grey(img, b.Min.X+x, b.Min.Y+y)
			n[cy][cx]++
		}
	}
	for y := range sum {
		for x := range sum[y] {
			if n[y][x] > 0 {
				sum[y][x] /= float64(n[y][x])
			}
		}
	}
	return sum
}

// grey is the luma of a pixel (ITU-R BT.601 weights, as JPEG's Y), read
// directly from the Y plane of a JPEG so that the common case is fast.
func grey(img image.Image, x, y int) float64 {
	switch m := img.(type) {
	case *image.YCbCr:
		return float64(m.Y[m.YOffset(x, y)])
	case *image.Gray:
		return float64(m.Pix[m.PixOffset(x, y)])
	}
	// RGBA is alpha-premultiplied: adding 0xffff-a lays the pixel on
	// white, as a mail reader shows a transparent image.
	r, g, b, a := img.At(x, y).RGBA()
	bg := float64(0xffff - a)
	return (0.299*(float64(r)+bg) + 0.587*(float64(g)+bg) + 0.114*(float64(b)+bg)) / 257
}

// String is the text form of a hash: 16 lower-case hex digits.
func (h Hash) String() string { return fmt.Sprintf("%016x", uint64(h)) }

// ParseHash reads the text form of String.
func ParseHash(s string) (Hash, error) {
	if len(s) != 16 {
		return 0, errors.New("a hash has 16 hex digits")
	}
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		return 0, errors.New("a hash has 16 hex digits")
	}
	return Hash(v), nil
}
