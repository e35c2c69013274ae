# One image for the portal and the verify service (the command picks which). Build from the
# repository root: docker build -t licensor .
FROM node:20-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
RUN npm i -g pnpm@10.34.9
WORKDIR /src
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src /app
USER node
EXPOSE 4000 4001
# default: the verify service; the portal is `node apps/issuer-portal/bin/licensor-portal.js serve`
CMD ["node", "packages/verify-service/bin/licensor-verify.js", "serve", "--host", "0.0.0.0", "--port", "4001"]
