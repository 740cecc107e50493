# syntax=docker/dockerfile:1.7
#
# Three images from one file, each built from package-lock.json, each running as the non-root
# user `node` (uid 1000) with a healthcheck:
#
#   docker build --target api        -t mlq-api .
#   docker build --target worker     -t mlq-worker .       # CPU, @tensorflow/tfjs-node
#   docker build --target worker-gpu -t mlq-worker-gpu .   # CUDA, @tensorflow/tfjs-node-gpu
#
# TypeScript runs through tsx's loader, as in development: no separate build output to drift
# from the sources. The model store lives on a volume at /data/store.

ARG NODE_IMAGE=node:20-bookworm-slim
# @tensorflow/tfjs-node-gpu 4.22.0 loads libtensorflow 2.9.1, built against CUDA 11.2 and
# cuDNN 8.1: its dlopen of libcudart.so.11.0 / libcudnn.so.8 fails on CUDA 12 or cuDNN 9 images,
# and TensorFlow then computes on the CPU (GPU=required makes that a start-up error). Host
# driver ≥ 450.80.02.
ARG CUDA_IMAGE=nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04

# ---- manifests only, so dependency layers are cached until a package.json or the lockfile changes
FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/specs/package.json packages/specs/
COPY packages/datasets/package.json packages/datasets/
COPY packages/models/package.json packages/models/
COPY packages/jobs/package.json packages/jobs/
COPY apps/api/package.json apps/api/
COPY apps/worker/package.json apps/worker/

# ---- production dependencies of each app. Install scripts stay off: npm 10 would run them all,
# and the only one an image needs (tfjs-node's libtensorflow download) runs below, by name.
FROM manifests AS api-deps
RUN npm ci --workspace=apps/api --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM manifests AS worker-deps
RUN npm ci --workspace=apps/worker --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- native TensorFlow for the CPU worker: downloads libtensorflow (CPU) and the prebuilt addon
FROM worker-deps AS worker-native
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
RUN rm -rf node_modules/@tensorflow/tfjs-node-gpu \
 && npm rebuild @tensorflow/tfjs-node \
 && node -e "require('@tensorflow/tfjs-node')"

# ---- sources shared by the runtime images
FROM ${NODE_IMAGE} AS runtime-base
ENV NODE_ENV=production \
    MODEL_STORE_DIR=/data/store
WORKDIR /app
# A fresh named volume copies this directory's ownership, so uid 1000 can write the store.
RUN mkdir -p /data/store && chown node:node /data/store

# ---- the API: Fastify producer, Bull Board, OpenAPI. No tfjs in this image.
FROM runtime-base AS api
COPY --from=api-deps /app ./
COPY tsconfig.base.json tsconfig.json ./
COPY docker/healthcheck.mjs docker/
COPY packages/specs packages/specs
COPY packages/datasets packages/datasets
COPY packages/jobs packages/jobs
COPY apps/api apps/api
# Containers are reached through their network: listen on every interface. Without API_KEYS the
# API then still serves only loopback clients (README, Security).
ENV PORT=3000 \
    HOST=0.0.0.0
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs", "PORT", "/healthz"]
CMD ["node", "--import", "tsx", "apps/api/src/main.ts"]

# ---- the CPU worker: tfjs-node (TensorFlow C library), falls back to wasm if it cannot load
FROM runtime-base AS worker
COPY --from=worker-native /app ./
COPY tsconfig.base.json tsconfig.json ./
COPY docker/healthcheck.mjs docker/
COPY packages packages
COPY apps/worker apps/worker
ENV TF_BACKEND=tensorflow \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs", "METRICS_PORT", "/healthz"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]

# ---- the GPU worker: Node copied onto the CUDA 11.2 / cuDNN 8.1 runtime image
FROM ${NODE_IMAGE} AS node-binary

FROM ${CUDA_IMAGE} AS gpu-base
COPY --from=node-binary /usr/local/bin/node /usr/local/bin/node
COPY --from=node-binary /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node

FROM gpu-base AS worker-gpu-native
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=worker-deps /app ./
RUN rm -rf node_modules/@tensorflow/tfjs-node \
 && npm rebuild @tensorflow/tfjs-node-gpu \
 && test -f node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node

FROM gpu-base AS worker-gpu
ENV NODE_ENV=production \
    MODEL_STORE_DIR=/data/store \
    TF_BACKEND=tensorflow \
    GPU=required \
    WORKER_QUEUES=train \
    METRICS_PORT=9464 \
    METRICS_HOST=0.0.0.0
WORKDIR /app
RUN mkdir -p /data/store && chown node:node /data/store
COPY --from=worker-gpu-native /app ./
COPY tsconfig.base.json tsconfig.json ./
COPY docker/healthcheck.mjs docker/
COPY packages packages
COPY apps/worker apps/worker
USER node
EXPOSE 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
  CMD ["node", "docker/healthcheck.mjs", "METRICS_PORT", "/healthz"]
CMD ["node", "--import", "tsx", "apps/worker/src/main.ts"]
