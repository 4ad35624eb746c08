FROM rust:1.94-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin tenantry

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/tenantry tenantry
COPY --from=build /src/target/release/tenantry /usr/local/bin/tenantry
USER tenantry
WORKDIR /var/lib/tenantry
ENV TENANTRY_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["tenantry"]
CMD ["serve"]
