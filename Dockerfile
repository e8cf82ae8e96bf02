# eris: one image for the agent (DaemonSet, hostPID, privileged) and the coordinator (Deployment).
# Native modules (koffi, better-sqlite3) come prebuilt in their npm packages for linux-x64/arm64 glibc: hence a
# Debian (bookworm) base, not Alpine.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY lib ./lib
COPY daemon ./daemon
COPY coordinator ./coordinator
COPY native ./native
COPY cli ./cli
COPY sdk ./sdk
COPY schemas ./schemas
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/eris
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/schemas ./schemas
COPY --from=build /src/daemon/cri/runtime-v1.proto ./daemon/cri/runtime-v1.proto
ENTRYPOINT ["node", "/opt/eris/bin/eris.js"]
CMD ["agent"]
