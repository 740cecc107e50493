import * as tf from '@tensorflow/tfjs-core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import {
  detectMemoryBytes,
  publishWorkerBudget,
  sizeTrainingBudget,
  WORKER_BUDGET_TTL_MS,
  withdrawWorkerBudget,
  type MemoryLimits,
  type PublishedBudget,
  type WorkerConfig,
} from '@mlq/jobs';

/** This worker's memory: what it may use, what one training may use, and where the guard steps in. */
export interface WorkerMemory {
  /** `WORKER_MEMORY_BYTES`, or the cgroup limit, or the machine's memory. */
  memoryBytes: number;
  /** What one training may use, and how it is split (the estimate's limits). */
  limits: MemoryLimits;
  /** Resident memory at which the memory guard aborts trainings. */
  rssLimitBytes: number;
}

/**
 * The budget is `TRAINING_MEMORY_BUDGET_BYTES` when set, else this process' memory less a
 * baseline and the model cache, shared by `TRAIN_CONCURRENCY` trainings. The guard's limit is 95%
 * of the process' memory (the kernel kills at 100%), and never more than what the baseline, the
 * cache and the trainings' budgets add up to.
 */
export function resolveWorkerMemory(config: WorkerConfig, backend: string, trainingThreads: number, readyRssBytes: number): WorkerMemory {
  const memoryBytes = config.WORKER_MEMORY_BYTES > 0 ? config.WORKER_MEMORY_BYTES : detectMemoryBytes();
  const budgetBytes = config.TRAINING_MEMORY_BUDGET_BYTES > 0 ? config.TRAINING_MEMORY_BUDGET_BYTES : sizeTrainingBudget(memoryBytes, config.MODEL_CACHE_BYTES, config.TRAIN_CONCURRENCY);
  const planned = readyRssBytes + config.MODEL_CACHE_BYTES + budgetBytes * config.TRAIN_CONCURRENCY;
  return {
    memoryBytes,
    limits: { budgetBytes, threads: trainingThreads, wasmHeaps: backend === 'wasm' },
    rssLimitBytes: Math.floor(Math.min(0.95 * memoryBytes, planned)),
  };
}

/** The size of the wasm backend's heap in this thread, or undefined on another backend. */
export function readWasmHeapBytes(): number | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const module = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return module?.HEAPU8?.byteLength;
}

/** Publishes this worker's budget to Redis now and every third of its TTL, until stopped (then withdraws it). */
export function publishBudgetWhileRunning(redis: Redis, prefix: string, budget: PublishedBudget, log: Logger): () => Promise<void> {
  const publish = () => publishWorkerBudget(redis, prefix, budget).catch((error: unknown) => log.debug({ err: error }, 'budget not published'));
  void publish();
  const timer = setInterval(() => void publish(), WORKER_BUDGET_TTL_MS / 3).unref();
  return async () => {
    clearInterval(timer);
    await withdrawWorkerBudget(redis, prefix, budget).catch(() => undefined);
  };
}
