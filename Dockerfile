# chainsnap container image.
#   docker build -t ghcr.io/luxfi/chainsnap:0.1.0 .
# Stage 1 builds a release binary with the Swift standard library linked statically; stage 2 is a
# small Debian runtime with only the C libraries chainsnap links (curl, zstd, lz4, OpenSSL) and CA
# certificates. The chart's init container also copies /usr/local/bin/chainsnap into the luxd
# container, whose image therefore needs the same four libraries.

# ---- build ----
# Any Swift 6 toolchain image on Debian bookworm (the project is developed with Swift 6.3).
ARG SWIFT_IMAGE=swift:6.2-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzstd-dev liblz4-dev libssl-dev libcurl4-openssl-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies first so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product chainsnap \
 && install -D -m 0755 "$(swift build -c release --show-bin-path)/chainsnap" /out/chainsnap \
 && /out/chainsnap --version

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libcurl4 libzstd1 liblz4-1 libssl3 zlib1g ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/chainsnap /usr/local/bin/chainsnap
# Fails the build if a shared library is missing from the runtime image.
RUN chainsnap --version
# No USER: chainsnap reads and writes node volumes owned by the node's user (root for the luxd
# image). When the node runs as another uid, set the pod's securityContext (runAsUser/fsGroup)
# to match (the chart's podSecurityContext).
ENTRYPOINT ["chainsnap"]
CMD ["--help"]
