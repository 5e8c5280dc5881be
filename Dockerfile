# syntax=docker/dockerfile:1
# Dependencies are compiled in their own layer (cargo-chef), so a code change rebuilds only the
# workspace's crates. SQLite and libpq are compiled from source (the `bundled` feature), so the runtime
# image needs no database client libraries.
# Every image and tool is pinned; upgrade them on purpose.
FROM rust:1.89-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# the SQLite build flags (.cargo/config.toml) apply to the dependency layer too
COPY .cargo .cargo
RUN cargo chef cook --release --locked --recipe-path recipe.json -p auth-server --bin auth-server
COPY . .
RUN cargo build --release --locked -p auth-server --bin auth-server

# A small image, an unprivileged user, the binary and its config files.
FROM debian:12.8-slim AS runtime
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin auth \
    && mkdir -p /app/data \
    && chown auth /app/data
WORKDIR /app
COPY --from=builder /src/target/release/auth-server /usr/local/bin/auth-server
COPY config /app/config
ENV APP_ENVIRONMENT=production \
    APP_CONFIG_DIR=/app/config
USER auth
EXPOSE 8080
# The image has no curl: the binary checks its own readiness endpoint.
HEALTHCHECK --interval=10s --timeout=5s --start-period=15s --retries=3 CMD ["auth-server", "healthcheck"]
ENTRYPOINT ["auth-server"]
CMD ["serve"]
