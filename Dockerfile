# parity in a container, for GitLab CI, Jenkins and any runner with Docker:
#
#   docker build -t parity .
#   docker build -t parity:static --build-arg CARGO_FEATURES=--no-default-features .
#   docker run --rm -u "$(id -u):$(id -g)" -v "$PWD:/work" parity check
#
# The build stage compiles parity from this source tree with the locked
# dependencies; the runtime image holds the binary and CA certificates (for
# the AWS APIs of `--source live` and state on S3), runs as a non-root user
# and has a shell, so CI systems can run scripts in it (GitLab: `entrypoint:
# [""]`; Jenkins: `args '--entrypoint='`; see docs/ci.md).

# Rust release to build with: the locked AWS SDK crates need 1.94.1 or newer.
ARG RUST_VERSION=1.95
# Debian release of both stages (the binary links against its glibc).
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
# Empty: every source (AWS SDK included). --no-default-features: the static
# checker only (Terraform code, state and plan files), a much faster build.
ARG CARGO_FEATURES=""
WORKDIR /src
COPY . .
# No debug info in the shipped binary, whatever [profile.release] says.
ENV CARGO_PROFILE_RELEASE_DEBUG=0 \
    CARGO_PROFILE_RELEASE_STRIP=symbols
RUN cargo build --release --locked --bin parity ${CARGO_FEATURES} \
 && install -D -m 0755 target/release/parity /out/parity

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates is not pinned: it should follow the release's updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --user-group --no-create-home --home-dir /work --shell /usr/sbin/nologin parity
COPY --from=build /out/parity /usr/local/bin/parity
LABEL org.opencontainers.image.title="parity" \
      org.opencontainers.image.description="Tells a team where its staging environment stops looking like production" \
      org.opencontainers.image.licenses="Apache-2.0"
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["parity"]
CMD ["--help"]
