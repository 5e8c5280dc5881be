# Build: compile the release binary (SQLite and libpq are built from source by the `bundled` feature,
# so the runtime image needs no database client libraries).
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY crates crates
COPY migrations migrations
COPY config config
RUN cargo build --release --locked -p auth-server --bin auth-server

# Run: a small image, an unprivileged user, the binary and its config files.
FROM debian:bookworm-slim AS runtime
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
ENTRYPOINT ["auth-server"]
CMD ["serve"]
