# One image for every process: the API (the default command, PROCESS_MODE=all or api) and the check
# worker (command `node dist/src/worker.js`). docker-compose.yml builds it once and runs it as both.
# Linted by hadolint in test/ops/containers.test.ts (tools/container-lint/).

FROM node:20-bookworm-slim AS build
WORKDIR /app
# mongodb-memory-server (the embedded database used when MONGODB_URI is unset) downloads a mongod
# binary in its postinstall: an image runs against a real MongoDB, so that download is skipped.
ENV MONGOMS_DISABLE_POSTINSTALL=1
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
# NODE_ENV=production changes no setting of ours (GRAPHQL_INTROSPECTION and GRAPHQL_IDE keep their
# defaults); it only makes libraries skip their development paths.
# MONGOMS_RUNTIME_DOWNLOAD=false: without MONGODB_URI the process fails at start with a message
# instead of fetching mongod at run time (the image has no JDK for the other embedded engine either).
ENV NODE_ENV=production \
    MONGOMS_RUNTIME_DOWNLOAD=false
# ping checks run iputils' ping (its file capability lets the unprivileged node user send ICMP echo).
RUN apt-get update \
 && apt-get install -y --no-install-recommends iputils-ping=3:20221126-1+deb12u1 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
EXPOSE 4000
# Liveness, not readiness: /healthz answers while the process serves HTTP; /readyz (503 while the
# database or the scheduler is unhealthy) is for load balancers, since restarting every container
# during a database outage would fix nothing. The image has no curl or wget, so node asks.
# The worker serves no HTTP: docker-compose.yml turns this check off for it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||4000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/src/main.js"]
