# healthsearch: make run | test | bench | eval | lint | index | fuzz | loadtest
GO       ?= go
BIN      := bin/healthsearch
INDEX    ?= data/index
ADDR     ?= 127.0.0.1:8080
VERSION  ?= $(shell git describe --tags --always 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run index test test-short lint bench eval fuzz loadtest clean corpus-check

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/healthsearch

# Build the index from the bundled seeds when there is none yet, then serve.
run: build
	@test -f $(INDEX)/CURRENT || ./$(BIN) index --src seeds --index $(INDEX)
	./$(BIN) serve --index $(INDEX) --addr $(ADDR)

# Rebuild the index from the bundled seeds.
index: build
	./$(BIN) index --src seeds --index $(INDEX)

test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

# The parser and the enricher on the whole generated corpus (corpus/, 7,264
# pages): every page parses without warnings, topic and place shares stay in
# their reviewed bounds. Opt-in because generating the pages takes ~15 s.
corpus-check:
	@test -f .cache/corpus/.stamp || { python3 corpus/make_pages.py --out .cache/corpus --force -q && touch .cache/corpus/.stamp; }
	PAGES_DIR=$(CURDIR)/.cache/corpus $(GO) test -count=1 ./indexer -run '^TestParseCorpus$$'
	ENRICH_CORPUS=$(CURDIR)/.cache/corpus $(GO) test -count=1 ./indexer/enrich -run '^TestCorpusReport$$'

test-short:
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Benchmark suite (issue 9): indexes seeds + corpus at 1x and 8x beside the
# bare gse bound, serves the 8x index on a free port and measures cold start,
# latency, QPS and RSS; prints the table and writes bench/results.{md,json}.
# The corpus pages are generated once into .cache/corpus. BENCHFLAGS pass
# through (e.g. BENCHFLAGS='-scales 1 -qps-duration 5s'); see cmd/hsbench.
bench:
	$(GO) run ./cmd/hsbench -go $(GO) $(BENCHFLAGS)

# Relevance against the cjk-bigram baseline on the dev query sets: builds the
# corpus pages once (.cache/corpus), indexes, serves on free ports, scores with
# eval/score.py, prints the table and writes eval/results.md. Needs python3.
eval:
	GO=$(GO) bash eval/run.sh

# Each fuzz target for FUZZTIME (no panic, no hang); a failure writes its
# input under the package's testdata/fuzz/ and stops here.
FUZZTIME ?= 30s
FUZZ_TARGETS := page:FuzzParsePage page:FuzzCleanSpaces indexer:FuzzAnalyzer search:FuzzParseRequest
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "== $$name (./$$pkg, $(FUZZTIME))"; \
		$(GO) test ./$$pkg -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME); \
	done

# 8 clients for at least 60 s while the index is rebuilt 3 times into the
# served directory; fails on any failed request or unserved generation.
# CLIENTS, DURATION and REINDEXES override; report in .cache/loadtest.
loadtest:
	GO=$(GO) bash scripts/loadtest.sh

# nginx -t on deploy/nginx.conf where nginx is installed. It runs in a
# scratch prefix with the log, cache and pid paths moved there, so it
# touches nothing of the host's nginx; without root, port 80 (which nginx -t
# binds) becomes 18080. mime.types comes from the installed nginx's own
# configuration directory.
.PHONY: deploy-check
deploy-check:
	@if ! command -v nginx >/dev/null 2>&1; then \
		echo "deploy-check: nginx is not installed; skipping nginx -t on deploy/nginx.conf"; exit 0; fi; \
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	confdir=$$(dirname "$$(nginx -V 2>&1 | sed -n 's/.*--conf-path=\([^ ]*\).*/\1/p')") && \
	sed -e "s#/var/log/nginx/#$$tmp/#g" -e "s#/var/cache/nginx/#$$tmp/#g" \
		-e "s#/etc/nginx/mime.types#$$confdir/mime.types#" deploy/nginx.conf > "$$tmp/nginx.conf" && \
	if [ "$$(id -u)" != 0 ]; then sed -i -e 's/listen 80;/listen 18080;/' -e 's/listen \[::\]:80;/listen [::]:18080;/' "$$tmp/nginx.conf"; fi && \
	nginx -t -q -p "$$tmp/" -e "$$tmp/error.log" -g "pid $$tmp/nginx.pid;" -c "$$tmp/nginx.conf" && \
	echo "deploy-check: deploy/nginx.conf is valid ($$(nginx -v 2>&1))"

clean:
	rm -rf bin data
