# syntax=docker/dockerfile:1
# aiopsd container image. Two stages: `build` compiles TypeScript with the dev dependencies; the runtime
# stage holds only production dependencies and dist/. Nothing is downloaded at build time except npm
# packages (no apt-get, no curl). For reproducible builds pin the base image by digest:
#   FROM node:20-bookworm-slim@sha256:<digest>
#
#   docker build -t aiopsd:0.1.0 .
#   docker run --rm -p 8080:8080 -e REDIS_URL=redis://redis:6379 -v aiopsd-data:/var/lib/aiopsd aiopsd:0.1.0

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: npm ci + tsc -------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script (tsc) would run before the sources are copied; we build below.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime -------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# AIOPSD_DATA_DIR overrides `dataDir` in a config file (environment beats file); mount a volume there.
ENV NODE_ENV=production \
    AIOPSD_DATA_DIR=/var/lib/aiopsd
WORKDIR /app
# Non-root user with a fixed numeric uid/gid (Kubernetes runAsNonRoot checks the numeric uid).
RUN groupadd --system --gid 10001 aiopsd \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin aiopsd \
 && mkdir -p /var/lib/aiopsd \
 && chown 10001:10001 /var/lib/aiopsd
COPY package.json package-lock.json ./
# Production dependencies only. --ignore-scripts: `prepare` runs tsc, a dev dependency that is not here;
# no runtime dependency needs an install script (snappy ships prebuilt binaries as optional packages).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
# When trained models ship in models/ (loaded at run time), add: COPY models ./models

USER 10001:10001
EXPOSE 8080
VOLUME ["/var/lib/aiopsd"]
# No curl in the slim image: Node's fetch checks liveness.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.AIOPSD_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Node handles SIGTERM itself (drains within shutdownDeadlineMs); run with `docker run --init` for zombie reaping.
ENTRYPOINT ["node", "dist/main.js"]
CMD ["serve"]
