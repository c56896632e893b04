# chainsnap container image.
#   docker build -t ghcr.io/luxfi/chainsnap:0.1.0 .
# Stage 1 builds a release binary with the Swift standard library linked statically and bundles it
# (scripts/bundle-chainsnap.sh) into /opt/chainsnap/bin: the binary plus lib/ with every shared
# library it needs except glibc (libcurl and its dependencies, zstd, lz4, OpenSSL, zlib, libstdc++),
# found through an $ORIGIN/lib rpath. Stage 2 is Debian with only CA certificates added. The
# chart's install-chainsnap init container copies that same folder into the luxd container, so
# the luxd image needs nothing but glibc (scripts/test-minimal-root.sh checks it in a minbase root).

# ---- build ----
# Any Swift 6 toolchain image on Debian bookworm (the project is developed with Swift 6.3).
ARG SWIFT_IMAGE=swift:6.2-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libzstd-dev liblz4-dev libssl-dev libcurl4-openssl-dev zlib1g-dev pkg-config patchelf \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Resolve dependencies first so source edits do not refetch them.
COPY Package.swift Package.resolved* ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
COPY scripts/bundle-chainsnap.sh ./scripts/
RUN swift build -c release --static-swift-stdlib --product chainsnap \
 && scripts/bundle-chainsnap.sh "$(swift build -c release --show-bin-path)/chainsnap" /opt/chainsnap/bin \
 && /opt/chainsnap/bin/chainsnap --version

# ---- runtime ----
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/chainsnap/bin /opt/chainsnap/bin
RUN ln -s /opt/chainsnap/bin/chainsnap /usr/local/bin/chainsnap
# Fails the build if a shared library is missing from the bundle.
RUN chainsnap --version
# No USER: chainsnap reads and writes node volumes owned by the node's user; the chart sets the
# pod's securityContext (runAsUser/fsGroup, podSecurityContext) to match.
ENTRYPOINT ["chainsnap"]
CMD ["--help"]
