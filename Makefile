# healthsearch: make run | test | bench | eval | lint | index | fuzz | loadtest
GO       ?= go
BIN      := bin/healthsearch
INDEX    ?= data/index
ADDR     ?= 127.0.0.1:8080
VERSION  ?= $(shell git describe --tags --always 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

.PHONY: all build run index test test-short lint bench eval fuzz loadtest clean

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

test-short:
	$(GO) test -short -count=1 ./...

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Relevance against the cjk-bigram baseline on the dev query sets: builds the
# corpus pages once (.cache/corpus), indexes, serves on free ports, scores with
# eval/score.py, prints the table and writes eval/results.md. Needs python3.
eval:
	GO=$(GO) bash eval/run.sh

clean:
	rm -rf bin data
