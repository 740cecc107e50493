import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { buildServer } from '../../apps/api/src/server.ts';
import { startTestRedis, type TestRedis } from './redis.ts';
import { startWorkerProcess, type WorkerProcess } from './processes.ts';

/** API (in-process, driven with inject) + real worker processes + a real Redis, sharing a store dir. */
export interface TestSystem {
  redis: TestRedis;
  api: FastifyInstance;
  storeDir: string;
  /** Environment every worker of this system gets. */
  workerEnv: Record<string, string>;
  startWorker(extra?: Record<string, string>): Promise<WorkerProcess>;
  /** The workers started so far, in order. */
  workers(): WorkerProcess[];
  close(): Promise<void>;
}

export async function startTestSystem(options: { workers?: number; workerEnv?: Record<string, string>; apiEnv?: Record<string, string> } = {}): Promise<TestSystem> {
  const redis = await startTestRedis();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-store-'));
  const shared = { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir };
  // Tests poll fast; rate limiting has its own test (apps/api/src/auth.test.ts).
  const api = await buildServer({ config: parseConfig(ApiConfigSchema, { ...shared, RATE_LIMIT_PER_MINUTE: '0', ...options.apiEnv }) });
  await api.ready();
  // Several workers run at once here: no fixed metrics port (a metrics test picks a free one).
  const workerEnv = { ...shared, TF_BACKEND: 'auto', METRICS_PORT: '0', ...options.workerEnv };
  const workers: WorkerProcess[] = [];
  const startWorker = async (extra: Record<string, string> = {}) => {
    const worker = await startWorkerProcess({ ...workerEnv, ...extra });
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) await startWorker();
  return {
    redis,
    api,
    storeDir,
    workerEnv,
    startWorker,
    workers: () => [...workers],
    async close() {
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await api.close();
      await redis.close();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

/** Polls GET /v1/jobs/:id until `done` says so; returns the last view. */
export async function pollJob(
  api: FastifyInstance,
  jobId: string,
  done: (job: Record<string, any>) => boolean,
  options: { timeoutMs?: number; onView?: (job: Record<string, any>) => void } = {},
): Promise<Record<string, any>> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    const response = await api.inject({ method: 'GET', url: `/v1/jobs/${jobId}` });
    const job = response.json() as Record<string, any>;
    options.onView?.(job);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${jobId} still ${job.state} after ${options.timeoutMs ?? 60_000} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const finished = (job: Record<string, any>) => ['completed', 'failed', 'cancelled'].includes(job.state);
