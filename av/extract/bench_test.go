package extract

import (
	"context"
	"fmt"
	"testing"

	"github.com/mailgw/mailgw/av/extract/bombtest"
)

func BenchmarkNestedZipBomb(b *testing.B) {
	bomb := bombtest.Nested(b, 1, 16, 16, 16, 16)
	b.ReportAllocs()
	for b.Loop() {
		if err := Walk(context.Background(), "bomb.zip", bomb, all(), func(*Member) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWalkZip(b *testing.B) {
	var files []file
	for i := range 100 {
		files = append(files, file{name: fmt.Sprintf("f%03d.txt", i), data: []byte(fmt.Sprintf("member %d of a zip\n", i))})
	}
	files = append(files, file{name: "x.exe", data: fakeExe()})
	z := zipOf(b, files...)
	b.SetBytes(int64(len(z)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Walk(context.Background(), "a.zip", z, all(), func(*Member) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDetectType(b *testing.B) {
	exe := fakeExe()
	b.ReportAllocs()
	for b.Loop() {
		DetectType(exe, "invoice.pdf")
	}
}
