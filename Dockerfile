# eris: one image for the agent (DaemonSet, hostPID, privileged) and the coordinator (Deployment).
# Node.js 26 (the current LTS): the store is its built-in node:sqlite, so `npm ci` compiles nothing and needs no
# network beyond the npm registry. koffi ships prebuilt binaries for linux-x64/arm64 glibc: hence a Debian (bookworm)
# base, not Alpine.
# Without a Docker engine, `node scripts/image/build-image.mjs --out eris.oci.tar` builds the same image by
# following this file (only the instructions it knows; test/image.test.ts keeps the two in step).
FROM node:26-bookworm-slim AS build
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
COPY console ./console
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM node:26-bookworm-slim
WORKDIR /opt/eris
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/schemas ./schemas
COPY --from=build /src/daemon/cri/runtime-v1.proto ./daemon/cri/runtime-v1.proto
ENTRYPOINT ["node", "/opt/eris/bin/eris.js"]
CMD ["agent"]
