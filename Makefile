# mailgw — build, test and benchmark targets. Run `make help` for a list.
GO        ?= go
BIN       := bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X main.version=$(VERSION)
PROGRAMS  := mailgw mailgw-milter mailgw-relay mailgw-maila mailgw-tlv
STATICCHECK_VERSION := v0.8.2
FUZZTIME  ?= 30s

.PHONY: all build test lint fmt vet staticcheck bench bench-av bench-milter bench-relay bench-accuracy fuzz run docs clean help

all: build

help:
	@echo "build   build $(PROGRAMS) into $(BIN)/"
	@echo "test    gofmt check, go vet and every test (what CI runs)"
	@echo "lint    gofmt, go vet and staticcheck"
	@echo "bench   run every benchmark and write docs/benchmarks.md"
	@echo "bench-av  built-in anti-virus engine against clamd, into docs/benchmarks.md"
	@echo "bench-milter  Postfix with mailgw-milter against no milter, a null milter and rspamd, into docs/benchmarks.md"
	@echo "bench-relay  mailgw-relay with filtering against Postfix as a plain relay and Postfix with rspamd, into docs/benchmarks.md"
	@echo "bench-accuracy  anti-spam accuracy and speed on the SpamAssassin corpus beside bogofilter and SpamAssassin, into docs/benchmarks.md"
	@echo "fuzz    run every fuzz target for FUZZTIME (default $(FUZZTIME))"
	@echo "run     build and scan the sample messages with the embedded default configuration"
	@echo "docs    regenerate docs/configuration.md from the code"

build:
	@mkdir -p $(BIN)
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN)/ $(addprefix ./cmd/,$(PROGRAMS))

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

lint: fmt vet staticcheck

test: fmt vet staticcheck
	$(GO) test -count=1 ./...

bench:
	$(GO) run ./bench/report -out docs/benchmarks.md

bench-av:
	$(GO) run ./bench/report -out docs/benchmarks.md -only av

# Needs the test peers and rspamd: scripts/setup-debian.sh --test-deps --bench-deps
bench-milter:
	$(GO) run ./bench/report -out docs/benchmarks.md -only milter -count 5

# Needs the test peers and rspamd, like bench-milter.
bench-relay:
	$(GO) run ./bench/report -out docs/benchmarks.md -only relay -count 3

# Needs npm (the corpus is fetched once into the cache, see bench/report -corpus), bogofilter and
# spamassassin: scripts/setup-debian.sh --bench-deps. ACCURACY_FLAGS=-validate tunes on the training split.
bench-accuracy:
	$(GO) run ./bench/report -out docs/benchmarks.md -only accuracy $(ACCURACY_FLAGS)

fuzz:
	$(GO) test ./config -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME)
	$(GO) test ./gateway -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME)
	$(GO) test ./mimetree -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME)
	$(GO) test ./access -run='^$$' -fuzz=FuzzParseRule -fuzztime=$(FUZZTIME)
	$(GO) test ./routing -run='^$$' -fuzz=FuzzParseRoute -fuzztime=$(FUZZTIME)
	$(GO) test ./mask -run='^$$' -fuzz=FuzzMatchMask -fuzztime=$(FUZZTIME)
	$(GO) test ./av/clamd -run='^$$' -fuzz=FuzzParseReply -fuzztime=$(FUZZTIME)
	$(GO) test ./av/icap -run='^$$' -fuzz=FuzzParseResponse -fuzztime=$(FUZZTIME)
	for f in FuzzZip FuzzTar FuzzGzip FuzzBzip2 FuzzXz Fuzz7z FuzzRar FuzzMbox; do \
		$(GO) test ./av/extract -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done
	for f in FuzzMeta FuzzDecodeRecord FuzzCheckID FuzzParseAge; do \
		$(GO) test ./quarantine -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done
	$(GO) test ./notify -run='^$$' -fuzz=FuzzTemplateLoad -fuzztime=$(FUZZTIME)
	$(GO) test ./antispam/bayes -run='^$$' -fuzz=FuzzReadModel -fuzztime=$(FUZZTIME)
	$(GO) test ./relay -run='^$$' -fuzz=FuzzCheckLineEnds -fuzztime=$(FUZZTIME)
	$(GO) test ./queue -run='^$$' -fuzz=FuzzDecode -fuzztime=$(FUZZTIME)
	for f in FuzzParseHTML FuzzTextLinks FuzzReceivedIP FuzzWords FuzzDateSigns; do \
		$(GO) test ./antispam/engine -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done
	$(GO) test ./antispam/fuzzy -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME)
	$(GO) test ./internal/samplefile -run='^$$' -fuzz=FuzzParse -fuzztime=$(FUZZTIME)
	for f in FuzzParseList FuzzOf; do \
		$(GO) test ./antispam/imagehash -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done
	for f in FuzzDigest FuzzParseReply; do \
		$(GO) test ./antispam/pyzor -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done
	for f in FuzzParseNDB FuzzParseHDB FuzzParseCVD FuzzMatch FuzzParsePE; do \
		$(GO) test ./av/sigdb -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) || exit 1; done

run: build
	$(BIN)/mailgw check-config
	$(BIN)/mailgw scan --verbose testdata/samples

docs:
	$(GO) run ./cmd/mailgw config-doc > docs/configuration.md

clean:
	rm -rf $(BIN)
