# syntax=docker/dockerfile:1
#
# healthsearch in a container (docs/deploy.md):
#
#   docker build -t healthsearch --build-arg VERSION=$(git describe --tags --always) .
#   docker run --rm -p 8080:8080 healthsearch
#
# The image holds a static binary, the bundled seeds and an index built from
# them, and runs as a non-root user.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
# Modules first: the download layer stays cached while the code changes.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# CGO off: one static binary that runs on a distroless base; everything
# it reads (dictionaries, templates, static files) is embedded.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
        -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
        -o /out/healthsearch ./cmd/healthsearch
# The seeds index is built here, so a container serves at once and can run
# with a read-only root file system.
RUN /out/healthsearch index --src seeds --index /out/data/index --log-level error

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/healthsearch /usr/local/bin/healthsearch
COPY --from=build /src/seeds /usr/share/healthsearch/seeds
COPY --from=build --chown=nonroot:nonroot /out/data /var/lib/healthsearch
# Every setting can be overridden with -e HEALTHSEARCH_<KEY>=…; the admin
# token (HEALTHSEARCH_ADMIN_TOKEN) belongs in a secret, not in the image.
ENV HEALTHSEARCH_ADDR=0.0.0.0:8080 \
    HEALTHSEARCH_INDEX=/var/lib/healthsearch/index \
    HEALTHSEARCH_SRC=/usr/share/healthsearch/seeds \
    HEALTHSEARCH_LOG_FORMAT=json
USER nonroot:nonroot
WORKDIR /var/lib/healthsearch
EXPOSE 8080
# A volume here keeps indexes rebuilt with POST /api/admin/reindex; a new
# named volume starts with the image's seeds index.
VOLUME ["/var/lib/healthsearch"]
ENTRYPOINT ["/usr/local/bin/healthsearch"]
CMD ["serve"]
