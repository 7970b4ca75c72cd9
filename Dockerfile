# syntax=docker/dockerfile:1
# Netra's three services and netractl in one image, on Debian 12 like every
# other build of the project. One container runs one service, chosen by its
# command:
#   docker build -t netra:0.1.0 .
#   docker run --rm netra:0.1.0 netra-registry --help     # flags and NETRA_* variables
# deploy/compose.yaml and deploy/k8s/ show complete deployments.

# --- build: exactly the packages of tools/install-deps, then the four binaries -------------
FROM debian:12 AS build
WORKDIR /src
COPY tools/install-deps tools/install-deps
RUN tools/install-deps
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null \
 && cmake --build /build -j"$(nproc)" --target netra-registry netra-complaint netra-sanction netractl \
 && strip /build/netra-registry /build/netra-complaint /build/netra-sanction /build/netractl

# --- runtime: the shared libraries the binaries link, an unprivileged user -----------------
FROM debian:12-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc++1.51 libprotobuf32 libhiredis0.14 libprometheus-cpp-core1.0 libprometheus-cpp-pull1.0 \
      libabsl20220623 libsqlite3-0 libssl3 libjwt0 libspdlog1.10 libfmt9 libcsv3 libutf8proc2 tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/netra --create-home --shell /usr/sbin/nologin netra
COPY --from=build /build/netra-registry /build/netra-complaint /build/netra-sanction /build/netractl /usr/local/bin/
COPY --from=build /src/data /usr/share/netra/data
COPY --from=build /src/deploy/access-policy.json /etc/netra/access-policy.json
# Defaults every service accepts; a deployment sets the rest (NETRA_REDIS, the
# peers, NETRA_NIK_KEY_FILE for the registry). The store lives on the volume.
ENV NETRA_LISTEN=0.0.0.0:50051 \
    NETRA_METRICS_LISTEN=0.0.0.0:9400 \
    NETRA_DATA_DIR=/usr/share/netra/data \
    NETRA_ACCESS_POLICY=/etc/netra/access-policy.json \
    NETRA_STORE=sqlite:///var/lib/netra/store.db
USER netra
WORKDIR /var/lib/netra
VOLUME /var/lib/netra
EXPOSE 50051 9400
# gRPC health protocol (grpc.health.v1) of whichever service this container runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["netractl", "--timeout-ms", "2000", "health", "--address", "127.0.0.1:50051"]
STOPSIGNAL SIGTERM
CMD ["netra-registry"]
