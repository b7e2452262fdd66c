# Build: dependencies first, in their own cached layer, then the service.
FROM rust:1-bookworm AS build
# Debian's security updates replace package versions; pinning them would break the build.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches tests/api \
 && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && echo 'fn main() {}' > benches/load.rs && touch tests/api/main.rs \
 && cargo build --release --locked --bin courrier \
 && rm -rf src benches tests
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin courrier

# Run: a small image, an unprivileged user, the config files, production settings.
FROM debian:bookworm-slim
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /app --create-home courrier
WORKDIR /app
COPY --from=build /src/target/release/courrier /usr/local/bin/courrier
COPY config ./config
ENV COURRIER_ENV=production
USER 10001
EXPOSE 8080
ENTRYPOINT ["courrier"]
CMD ["serve"]
