# eris: one image for the agent (DaemonSet, hostPID, privileged) and the coordinator (Deployment).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild koffi better-sqlite3 || true
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /opt/eris
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/daemon/cri/runtime-v1.proto ./daemon/cri/runtime-v1.proto
ENTRYPOINT ["node", "/opt/eris/bin/eris.js"]
CMD ["agent"]
