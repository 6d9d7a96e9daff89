# The PECR image: one image for the gateway and the controller (`pecr gateway`, `pecr controller`), TypeScript
# run through tsx as in development. compose.yaml builds it.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# Dependencies first (their own layer); postinstall applies patches/.
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund && npm cache clean --force
COPY . .
# Never root at run time.
USER node
ENTRYPOINT ["node", "--import=tsx", "scripts/pecr.ts"]
CMD ["gateway"]
