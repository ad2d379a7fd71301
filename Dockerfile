# Production image of the Mobile Identity Gateway. Builds offline from the npm registry only:
# Prisma's schema engine is never downloaded (the gateway applies its own migrations).
# Node 24 is the current LTS line; pin a digest (node:24-bookworm-slim@sha256:…) in your registry
# mirror for reproducible builds.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime dependencies only: no Prisma CLI (Studio, TypeScript…), no test or build tools. The
# generated Prisma client is compiled into dist/ and needs only @prisma/client's runtime.
# scripts/check-runtime-size.sh (CI) measures this very tree.
FROM ${NODE_IMAGE} AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/prune-runtime-deps.mjs ./scripts/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && node scripts/prune-runtime-deps.mjs . && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
ENV PORT=3000
# Memory: glibc's per-thread malloc arenas held ~60 MB of freed memory (2 arenas keep it reused),
# and without a heap limit V8 let garbage grow old space to ~250 MB between major collections.
# With 192 MB the gateway's peak RSS stays near 230 MB under load (bench/README.md). Raise it
# with the container's memory limit (deploy/kubernetes: 512Mi).
ENV MALLOC_ARENA_MAX=2
ENV NODE_OPTIONS=--max-old-space-size=192
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/prisma/migrations ./prisma/migrations
USER node
EXPOSE 3000
# Honours PORT (the same variable the gateway listens on).
HEALTHCHECK --interval=10s --timeout=3s --retries=5 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains in-flight requests and the audit writer (SHUTDOWN_TIMEOUT_MS) before exiting.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
