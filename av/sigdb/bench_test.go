package sigdb

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// benchData returns n bytes of random-ish content: runs of random binary
// mixed with runs of text-like bytes and of zeros, as in real attachments.
func benchData(rng *rand.Rand, n int) []byte {
	const text = "the quick brown fox jumps over the lazy dog 0123456789 <html><body>\r\n"
	data := make([]byte, 0, n)
	for len(data) < n {
		k := min(1+rng.IntN(4096), n-len(data))
		switch rng.IntN(3) {
		case 0:
			for range k {
				data = append(data, byte(rng.Uint32()))
			}
		case 1:
			for range k {
				data = append(data, text[rng.IntN(len(text))])
			}
		default:
			data = append(data, make([]byte, k)...)
		}
	}
	return data
}

// benchSigs returns n generated body signatures: mostly plain hex, some
// with wildcards, alternatives, jumps and offsets.
func benchSigs(rng *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		lit := func(k int) string {
			var s strings.Builder
			for range k {
				fmt.Fprintf(&s, "%02x", rng.IntN(256))
			}
			return s.String()
		}
		var hex string
		switch rng.IntN(6) {
		case 0:
			hex = lit(4) + "??" + lit(6) + "{2-8}" + lit(3)
		case 1:
			hex = lit(6) + "*" + lit(6)
		case 2:
			hex = lit(3) + "(" + lit(2) + "|" + lit(2) + ")" + lit(8)
		case 3:
			hex = lit(5) + "{4}" + lit(2) + "!(" + lit(1) + "|" + lit(1) + ")" + lit(4)
		default:
			hex = lit(8 + rng.IntN(24))
		}
		off := []string{"*", "*", "*", "0", "EOF-512,512"}[rng.IntN(5)]
		fmt.Fprintf(&b, "Bench.Sig-%d:0:%s:%s\n", i, off, hex)
	}
	return b.String()
}

// BenchmarkMatch scans 8 MB with 3000 generated body signatures plus the
// defaults; -benchmem and the MB/s column are what to watch.
func BenchmarkMatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 42))
	db := Merge(Default(), mustParse(b, "bench.ndb", benchSigs(rng, 3000)))
	data := benchData(rng, 8<<20)
	if name, ok := db.Match(data); ok {
		b.Fatalf("random data matched %s", name)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		db.Match(data)
	}
}

// BenchmarkMatchSmall is the common case in mail: many small objects.
func BenchmarkMatchSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(42, 42))
	db := Merge(Default(), mustParse(b, "bench.ndb", benchSigs(rng, 3000)))
	data := benchData(rng, 16<<10)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		db.Match(data)
	}
}

func BenchmarkLoad(b *testing.B) {
	text := benchSigs(rand.New(rand.NewPCG(42, 42)), 3000)
	b.ReportAllocs()
	for range b.N {
		mustParse(b, "bench.ndb", text)
	}
}
