package engine_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mailgw/mailgw/antispam"
	"github.com/mailgw/mailgw/antispam/engine"
	"github.com/mailgw/mailgw/antispam/fuzzy"
	"github.com/mailgw/mailgw/antispam/imagehash"
	"github.com/mailgw/mailgw/mimetree"
)

// pharmacyCopy is the embedded pharmacy sample with words changed, one
// sentence dropped and a greeting added, as plain text.
const pharmacyCopy = "\nHi there!\n\nDear valued client, our licensed online pharmacy now ships premium quality pills to your door " +
	"without a prescription and without any awkward questions. Every order is packed in a plain envelope and " +
	"delivered discreetly within days. Save up to seventy percent compared with your local drugstore. Thousands of " +
	"happy customers already trust our certified pharmacists and our secure checkout. Order today and receive free " +
	"express shipping plus a bonus pack of extra pills with your first purchase. Click the link below to visit the store.\n"

// withImage is a message with text and one attached image.
func withImage(text, name string, img []byte) string {
	return hamHeaders + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n" + text +
		"\n--b\nContent-Type: application/octet-stream; name=" + name + "\nContent-Disposition: attachment\nContent-Transfer-Encoding: base64\n\n" +
		b64(string(img)) + "\n--b--\n"
}

// knownImage is the embedded sale image, decoded from its source message.
func knownImage(t *testing.T) image.Image {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "imagehash", "default", "src", "sale.eml"))
	if err != nil {
		t.Fatal(err)
	}
	parts := engine.ImageParts(mimetree.Parse(raw, mimetree.Limits{}))
	if len(parts) != 1 {
		t.Fatalf("sale.eml: %d image parts", len(parts))
	}
	img, err := png.Decode(bytes.NewReader(parts[0].Content))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// halfJPEG is img at half its size (every other pixel), recompressed.
func halfJPEG(t *testing.T, img image.Image) []byte {
	b := img.Bounds()
	half := image.NewRGBA(image.Rect(0, 0, b.Dx()/2, b.Dy()/2))
	for y := 0; y < b.Dy()/2; y++ {
		for x := 0; x < b.Dx()/2; x++ {
			half.Set(x, y, img.At(b.Min.X+2*x, b.Min.Y+2*y))
		}
	}
	var out bytes.Buffer
	if err := jpeg.Encode(&out, half, &jpeg.Options{Quality: 60}); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// stripes is an image unlike the known one.
func stripes(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 120))
	for y := 0; y < 120; y++ {
		for x := 0; x < 200; x++ {
			img.SetGray(x, y, color.Gray{uint8((x/25 + y/30) % 2 * 255)})
		}
	}
	var out bytes.Buffer
	if err := png.Encode(&out, img); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// bomb is a PNG header claiming 60000×60000 pixels.
func bomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := []byte("IHDR\x00\x00\xea\x60\x00\x00\xea\x60\x08\x06\x00\x00\x00")
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(ihdr))
	b.WriteString("\x00\x00\x00\x00IEND\xaeB`\x82")
	return b.Bytes()
}

func TestSampleChecks(t *testing.T) {
	known := knownImage(t)
	gw := load(t)
	e := engine.New(engine.Options{Settings: gw.AntiSpam, Logger: quiet(), Fuzzy: fuzzy.Default(), Images: imagehash.Default()})
	tests := []struct {
		name         string
		lines        []string // of [mailgw.policy], when not the default
		raw          string
		fuzzy, image bool // FUZZY_SAMPLE and IMAGE_SAMPLE fire
		reason       string
	}{
		{name: "changed copy of a sample", raw: hamHeaders + pharmacyCopy, fuzzy: true, reason: "pharmacy "},
		{name: "ham", raw: hamHeaders + hamBody + strings.Repeat("The minutes of the meeting are attached below for review.\n", 3)},
		{name: "rescaled known image", raw: withImage("see attached", "a.jpg", halfJPEG(t, known)), image: true, reason: "sale/sale.png distance"},
		{name: "both", raw: withImage(pharmacyCopy, "a.jpg", halfJPEG(t, known)), fuzzy: true, image: true},
		{name: "another image", raw: withImage("see attached", "b.png", stripes(t))},
		{name: "bomb image", raw: withImage("see attached", "c.png", bomb())},
		{name: "damaged image", raw: withImage("see attached", "d.jpg", halfJPEG(t, known)[:400])},
		{name: "over SpamCheckSizeLimit", lines: []string{"SpamCheckSizeLimit=4"}, raw: withImage(pharmacyCopy, "a.jpg", halfJPEG(t, known))},
	}
	for _, tc := range tests {
		p := &gw.Policy.Default.Params
		if tc.lines != nil {
			p = &load(t, tc.lines...).Policy.Default.Params
		}
		start := time.Now()
		r := checkWith(t, e, p, nil, tc.raw)
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: took %v", tc.name, took)
		}
		if fired(r, antispam.RuleFuzzySample) != tc.fuzzy || fired(r, antispam.RuleImageSample) != tc.image {
			t.Errorf("%s: rules %v, want FUZZY_SAMPLE %v IMAGE_SAMPLE %v", tc.name, ruleNames(r), tc.fuzzy, tc.image)
		}
		for _, rule := range r.Rules {
			if tc.reason != "" && (rule.Name == antispam.RuleFuzzySample || rule.Name == antispam.RuleImageSample) && !strings.HasPrefix(rule.Reason, tc.reason) {
				t.Errorf("%s: %s reason %q, want %q...", tc.name, rule.Name, rule.Reason, tc.reason)
			}
		}
	}
}

// TestSampleSettings: the threshold and the distance are configuration,
// and the embedded samples reach the engine through the gateway.
func TestSampleSettings(t *testing.T) {
	known := knownImage(t)
	raw := withImage(pharmacyCopy, "a.jpg", halfJPEG(t, known))
	tests := []struct {
		lines        []string
		fuzzy, image bool
	}{
		{[]string{"SpamUseDNS=false"}, true, true},
		{[]string{"SpamUseDNS=false", "[mailgw.antispam]", "BayesStore=none", "FuzzyThreshold=95"}, false, true},
		{[]string{"SpamUseDNS=false", "[mailgw.antispam]", "BayesStore=none", "ImageMaxDistance=0"}, true, false},
		{[]string{"SpamUseDNS=false", "[mailgw.antispam]", "BayesStore=none", "FuzzySamples=", "ImageSamples="}, false, false},
	}
	for _, tc := range tests {
		gw := load(t, tc.lines...)
		r := checkWith(t, gw.SpamChecker(quiet()), &gw.Policy.Default.Params, nil, raw)
		if fired(r, antispam.RuleFuzzySample) != tc.fuzzy || fired(r, antispam.RuleImageSample) != tc.image {
			t.Errorf("%v: rules %v, want FUZZY_SAMPLE %v IMAGE_SAMPLE %v", tc.lines, ruleNames(r), tc.fuzzy, tc.image)
		}
	}
}
