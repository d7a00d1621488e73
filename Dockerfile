# syntax=docker/dockerfile:1
#
# tessera container image.
#
#   docker build -t tessera:0.1.0 .
#   docker run --rm -p 8080:8080 -p 9464:9464 -v tessera-state:/var/lib/tessera tessera:0.1.0
#
# The image listens on 0.0.0.0 (see ENV below) and keeps its state under
# /var/lib/tessera: data/ (the embedded SQLite database) and keys/ (the
# key-encryption key generated on first start when none is supplied). Mount a
# volume there for SQLite; in production supply the KEK (TESSERA__KEYS__KEK_FILE
# pointing at a mounted secret, or TESSERA__KEYS__KEK) and, for more than one
# replica, a PostgreSQL TESSERA__DATABASE__URL. The Helm chart in helm/tessera
# does all of that.

############################ build ############################
FROM rust:1-bookworm AS builder

WORKDIR /src

# Only what the build reads: the manifest, the lock file, the sources, the
# templates, the workspace's verifier crate, the migrations (embedded at compile time
# by sqlx::migrate!) and benches/, because the
# manifest declares the `mint` bench and cargo refuses a manifest whose targets are
# missing (cargo build does not compile it).
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The hosted login pages (askama reads them at compile time) and their stylesheet.
COPY templates ./templates
# The workspace's other member (the manifest names it; cargo reads its manifest even
# though the server does not depend on it).
COPY crates ./crates
COPY migrations ./migrations
COPY benches ./benches

# The registry and target caches survive between builds (BuildKit); the binary
# is copied out of the cache mount so the next stage can take it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -m 0755 target/release/tessera /usr/local/bin/tessera

############################ runtime ############################
FROM debian:bookworm-slim AS runtime

# ca-certificates: TLS to PostgreSQL; libssl3: josekit and native-tls link OpenSSL.
# Unpinned on purpose: each build takes bookworm's current security updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libssl3 \
 && rm -rf /var/lib/apt/lists/*

# An unprivileged user with a fixed uid/gid, so Kubernetes can check runAsNonRoot
# and volumes can be given to fsGroup 10001.
RUN groupadd --system --gid 10001 tessera \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/tessera \
        --no-create-home --shell /usr/sbin/nologin tessera \
 && mkdir -p /var/lib/tessera/data /var/lib/tessera/keys \
 && chown -R 10001:10001 /var/lib/tessera \
 && chmod 0750 /var/lib/tessera /var/lib/tessera/data \
 && chmod 0700 /var/lib/tessera/keys

COPY --from=builder /usr/local/bin/tessera /usr/local/bin/tessera

# Relative defaults (sqlite://data/tessera.db, keys/kek) resolve here.
WORKDIR /var/lib/tessera

# In a container the listeners must accept connections from outside the
# container's own loopback. Every other setting keeps the binary's default and
# is overridden the same way (TESSERA__SECTION__KEY).
ENV TESSERA__SERVER__LISTEN=0.0.0.0:8080 \
    TESSERA__SERVER__METRICS_LISTEN=0.0.0.0:9464

USER 10001:10001

# 8080: public API (JWKS, discovery, auth, oauth, admin, /healthz, /readyz)
# 9464: Prometheus /metrics
EXPOSE 8080 9464

ENTRYPOINT ["/usr/local/bin/tessera"]
CMD ["serve"]
