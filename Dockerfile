# syntax=docker/dockerfile:1
# Two stages: build with the Rust toolchain, run on a slim Debian with only the binary.
# `docker build -t tenantry .`; see docker-compose.yml and docs/deploy.md.

FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
# BuildKit cache mounts keep the crate registry and target/ between builds, so a change to
# Tenantry's own code recompiles Tenantry, not its few hundred dependencies. The binary is
# copied out of the cached target/, which is not part of the image layer.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin tenantry \
    && cp target/release/tenantry /usr/local/bin/tenantry

FROM debian:bookworm-slim
# ca-certificates for TLS to SMTP and PostgreSQL servers. A fixed numeric uid/gid, so that
# orchestrators can check "not root" (Kubernetes' runAsNonRoot needs a numeric USER).
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 tenantry \
    && useradd --system --uid 10001 --gid tenantry --create-home \
        --home-dir /var/lib/tenantry --shell /usr/sbin/nologin tenantry
COPY --from=build /usr/local/bin/tenantry /usr/local/bin/tenantry
USER 10001:10001
# The SQLite default (tenantry.db, tenantry.key, mail-outbox/) lands here: mount a volume on it
# when running without PostgreSQL.
WORKDIR /var/lib/tenantry
ENV TENANTRY_LISTEN=0.0.0.0:8080
EXPOSE 8080
# Liveness: GET /healthz answers 200 while the process serves. The image has no curl, and the
# binary has no health subcommand, so bash's /dev/tcp speaks the one HTTP request. The port is
# taken from TENANTRY_LISTEN; if you move the port in a config file instead, override this.
# /healthz, not /readyz: a database outage is not cured by restarting the container.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${TENANTRY_LISTEN##*:}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# The binary handles SIGTERM itself (in-flight requests finish, up to 30 s): give it that long
# (`docker stop -t 35`, compose's stop_grace_period, Kubernetes' terminationGracePeriodSeconds).
ENTRYPOINT ["tenantry"]
CMD ["serve"]
