import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Redis } from 'ioredis';
import type { MemoryLimits } from '@mlq/specs';

/**
 * Workers publish what one training may use on them, so the API refuses at once what no worker
 * can run. Each live worker has an entry in a sorted set scored by its expiry (refreshed well
 * within `WORKER_BUDGET_TTL_MS`); the API takes the largest live one. The last budget published
 * is also kept without expiry, for when every worker is gone (scaled to zero).
 */
export const WORKER_BUDGET_TTL_MS = 60_000;

/** What one worker publishes. */
export interface PublishedBudget extends MemoryLimits {
  workerId: string;
}

/** Memory a Node process, tfjs and the worker's code take before any training (measured: 214 MiB idle on wasm; README "Sizing workers"). */
export const WORKER_BASELINE_BYTES = 384 * 1024 * 1024;
/** The smallest budget auto-sizing gives, whatever the machine. */
const MIN_AUTO_BUDGET_BYTES = 128 * 1024 * 1024;

const liveKey = (prefix: string) => `${prefix}:worker-budgets`;
const lastKey = (prefix: string) => `${prefix}:worker-budgets:last`;

/** The memory this process may use: the cgroup limit (v2, then v1) when there is one, else the machine's total. */
export function detectMemoryBytes(): number {
  const total = os.totalmem();
  for (const file of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const value = Number(readFileSync(file, 'utf8').trim());
      if (Number.isFinite(value) && value > 0 && value < total) return value;
    } catch {
      // no such cgroup file here
    }
  }
  return total;
}

/** A training's share of a process' memory once the baseline and the model cache are taken. */
export function sizeTrainingBudget(memoryBytes: number, modelCacheBytes: number, trainConcurrency: number): number {
  return Math.max(MIN_AUTO_BUDGET_BYTES, Math.floor((memoryBytes - WORKER_BASELINE_BYTES - modelCacheBytes) / Math.max(1, trainConcurrency)));
}

export async function publishWorkerBudget(redis: Redis, prefix: string, budget: PublishedBudget, now = Date.now()): Promise<void> {
  const member = JSON.stringify(budget);
  await redis
    .multi()
    .zremrangebyscore(liveKey(prefix), '-inf', now)
    .zadd(liveKey(prefix), now + WORKER_BUDGET_TTL_MS, member)
    .set(lastKey(prefix), member)
    .exec();
}

export async function withdrawWorkerBudget(redis: Redis, prefix: string, budget: PublishedBudget): Promise<void> {
  await redis.zrem(liveKey(prefix), JSON.stringify(budget));
}

/** The largest budget a live worker published, else the last one any worker published, else undefined. */
export async function readWorkerBudget(redis: Redis, prefix: string, now = Date.now()): Promise<(MemoryLimits & { source: 'live' | 'last' }) | undefined> {
  const [live, last] = await Promise.all([redis.zrangebyscore(liveKey(prefix), now, '+inf'), redis.get(lastKey(prefix))]);
  const parsed = live.map((member) => JSON.parse(member) as PublishedBudget);
  const largest = parsed.sort((a, b) => b.budgetBytes - a.budgetBytes)[0];
  const chosen = largest ?? (last ? (JSON.parse(last) as PublishedBudget) : undefined);
  if (!chosen) return undefined;
  return { budgetBytes: chosen.budgetBytes, threads: chosen.threads, wasmHeaps: chosen.wasmHeaps, source: largest ? 'live' : 'last' };
}
