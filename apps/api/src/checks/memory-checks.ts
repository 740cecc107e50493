import type { FastifyInstance } from 'fastify';
import {
  checkTrainingMemory,
  readTrainingFacts,
  detectMemoryBytes,
  readWorkerBudget,
  sizeTrainingBudget,
  withRedisTimeout,
  horizonBounds,
  defaultPriceArchitecture,
  type BatchPayload,
  type MemoryLimits,
  type TrainPayload,
  type TrainingFacts,
} from '@mlq/jobs';
import { HttpError } from '../plugins/errors.ts';

/** The model cache a worker keeps by default (`MODEL_CACHE_BYTES`), for sizing from this machine's memory. */
const DEFAULT_MODEL_CACHE_BYTES = 512 * 1024 * 1024;

/**
 * What one training may use: the largest budget a live worker published (with its training
 * threads and whether its heaps are wasm32), else the last one any worker published (all scaled
 * to zero), else `TRAINING_MEMORY_BUDGET_BYTES`, else sized from this machine's memory as a worker
 * would be; without a worker's word, one thread and wasm heaps (the strictest case).
 */
export async function trainingLimits(app: FastifyInstance): Promise<MemoryLimits & { source: string }> {
  const { redis, config } = app.services;
  const published = await withRedisTimeout(readWorkerBudget(redis, config.QUEUE_PREFIX), config.REDIS_TIMEOUT_MS);
  if (published) return { ...published, source: `${published.source} worker budget` };
  if (config.TRAINING_MEMORY_BUDGET_BYTES > 0) return { budgetBytes: config.TRAINING_MEMORY_BUDGET_BYTES, threads: 1, wasmHeaps: true, source: 'TRAINING_MEMORY_BUDGET_BYTES' };
  return { budgetBytes: sizeTrainingBudget(detectMemoryBytes(), DEFAULT_MODEL_CACHE_BYTES, 1), threads: 1, wasmHeaps: true, source: "the API machine's memory" };
}

/**
 * Refuses (400) a training whose estimated peak memory passes what a worker can give it, with
 * the estimate, the limit and the params that drive it. The worker checks again before it trains.
 */
export async function checkTrainingFits(app: FastifyInstance, payload: TrainPayload, facts?: TrainingFacts, threads?: number): Promise<void> {
  const published = await trainingLimits(app);
  const limits = { ...published, threads: threads ?? published.threads };
  const refusal = checkTrainingMemory(payload, facts ?? (await readTrainingFacts(payload, app.catalog)), limits);
  if (refusal) {
    throw new HttpError(400, refusal.message, 'body/params', {
      limit: refusal.limit,
      estimateBytes: refusal.estimateBytes,
      limitBytes: refusal.limitBytes,
      drivers: refusal.drivers,
      threads: limits.threads,
      budgetSource: limits.source,
    });
  }
}

/**
 * A batch's forecast children train on one thread each; the longest series chosen costs the most
 * (its windows are the data tensors). Only LSTMs have tensors worth counting. Same 400 as a training.
 */
export async function checkForecastsFit(app: FastifyInstance, batch: BatchPayload, seriesLengths: number[]): Promise<void> {
  if ((batch.architecture ?? defaultPriceArchitecture) !== 'lstm' || seriesLengths.length === 0) return;
  const seriesLength = seriesLengths.reduce((a, b) => Math.max(a, b), 0);
  const payload: TrainPayload = {
    kind: 'price',
    architecture: 'lstm',
    dataset: batch.dataset,
    series: '',
    ...(batch.params ? { params: batch.params } : {}),
    horizon: batch.horizon ?? horizonBounds.default,
  };
  await checkTrainingFits(app, payload, { kind: 'price', seriesLength }, 1);
}
