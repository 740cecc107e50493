import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createJobId, jobCatalog } from '@mlq/jobs';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';

/**
 * A training's memory, end to end: the API refuses what no worker can hold (400 with the numbers),
 * the worker refuses it again, the memory guard aborts a training that passes the worker's memory
 * (the worker lives on), and a training that breaks the wasm heap fails for good while its worker
 * exits non-zero to be restarted.
 */

let system: TestSystem;
let connection: Redis;
let train: Queue;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0 });
  connection = new Redis(system.redis.url, { maxRetriesPerRequest: null });
  train = new Queue('train', { connection, prefix: system.redis.prefix });
  // The API's first dataset lookup parses every bundled dataset inside the Redis timeout and may
  // answer 503 on a loaded machine (not this file's subject): warm it up first.
  for (let i = 0; i < 20 && (await system.api.inject({ method: 'GET', url: '/v1/datasets/crypto-top100' })).statusCode !== 200; i++);
});
afterEach(async () => {
  await Promise.all(system.workers().map((w) => w.stop('SIGKILL')));
  // Budgets published by the workers of one test must not decide the next test's checks.
  await connection.del(`${system.redis.prefix}:worker-budgets`, `${system.redis.prefix}:worker-budgets:last`);
});
afterAll(async () => {
  await train?.close();
  connection?.disconnect();
  await system?.close();
});

/** The finding: every value in bounds, and each attempt took a wasm heap past 4 GiB. */
const finding = { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 365, epochs: 1 }, horizon: 365 };
const GiB = 1024 ** 3;

/** Enqueues straight into BullMQ, as a job that slipped past an older API would arrive. */
async function enqueueDirectly(payload: Record<string, unknown>): Promise<string> {
  const jobId = createJobId('train');
  await train.add('train', payload, { ...jobCatalog.train.options, jobId });
  return jobId;
}

describe('memory estimates at the API', () => {
  it("refuses the finding's training with a 400 giving the estimate, the live worker's budget and the params that drive it", async () => {
    await system.startWorker({ TRAINING_THREADS: '2', WORKER_MEMORY_BYTES: String(4 * GiB) });
    const response = await system.api.inject({ method: 'POST', url: '/v1/train', payload: finding });
    expect(response.statusCode, response.body).toBe(400);
    const body = response.json();
    console.log(`the finding at the API: ${body.message}`);
    expect(body.message).toMatch(/this training needs about [\d.]+ GiB/);
    expect(body.message).toMatch(/window 365/);
    expect(body.details.estimateBytes).toBeGreaterThan(body.details.limitBytes);
    expect(body.details).toMatchObject({ threads: 2, budgetSource: 'live worker budget' });

    // The same with a small window fits, and so does a batch of small models; a batch at the maxima does not.
    const fits = await system.api.inject({ method: 'POST', url: '/v1/train', payload: { ...finding, params: { window: 20, units1: 8, units2: 8, epochs: 1 }, horizon: 10 } });
    expect(fits.statusCode, fits.body).toBe(202);
    await train.obliterate({ force: true });
    const batch = await system.api.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { dataset: 'crypto-top100', architecture: 'lstm', params: { window: 365, units1: 512, units2: 512, batchSize: 4096 }, horizon: 10 },
    });
    expect(batch.statusCode, batch.body).toBe(400);
    expect(batch.json().message).toMatch(/units2 512/);
  });

  it('without a live worker, uses the last budget one published', async () => {
    const worker = await system.startWorker({ TRAINING_MEMORY_BUDGET_BYTES: String(64 * 1024 ** 2) });
    await worker.stop('SIGTERM'); // withdraws its live budget; the last one stays
    const talk = { ...finding, params: { epochs: 1 }, horizon: 10 };
    const response = await system.api.inject({ method: 'POST', url: '/v1/train', payload: talk });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().details).toMatchObject({ limitBytes: 64 * 1024 ** 2, budgetSource: 'last worker budget' });
  });
});

describe('memory in the worker', () => {
  it('the worker checks again: a training past its budget fails at once, for good, with the same message', async () => {
    const worker = await system.startWorker({ TRAINING_MEMORY_BUDGET_BYTES: String(64 * 1024 ** 2) });
    const jobId = await enqueueDirectly({ ...finding, params: { epochs: 1 }, horizon: 10 });
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 60_000 });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/this training needs about .* the worker memory budget for a training is 64\.0 MiB/);
    expect(job.attempts.made).toBe(1);
    expect(worker.logs.some((l) => l.msg === 'job started' && l.jobId === jobId)).toBe(true);
  });

  it('the memory guard aborts a training that takes the process past its memory, and the worker carries on', async () => {
    // The estimate is told the budget is large; the process is told it has 700 MiB: only the guard stands in the way.
    const worker = await system.startWorker({ TRAINING_MEMORY_BUDGET_BYTES: String(8 * GiB), WORKER_MEMORY_BYTES: String(700 * 1024 ** 2), TRAINING_THREADS: '1' });
    const ready = await worker.waitForLog((l) => l.msg === 'worker ready');
    expect(ready.memoryGuardBytes).toBeLessThanOrEqual(0.95 * 700 * 1024 ** 2);
    const jobId = await enqueueDirectly({ ...finding, params: { window: 100, epochs: 3 }, horizon: 10 });
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^exceeded the memory budget: the worker's resident memory reached .* past its limit/);
    expect(job.attempts.made).toBe(1);
    expect(worker.child.exitCode).toBeNull();

    const small = await enqueueDirectly({ ...finding, params: { window: 10, units1: 4, units2: 4, epochs: 1 }, horizon: 5 });
    expect((await pollJob(system.api, small, finished, { timeoutMs: 60_000 })).state).toBe('completed');
  });

  it('a training that breaks the wasm heap fails for good, not retried, and its worker exits non-zero; the next worker is fine', async () => {
    const doomed = await system.startWorker({
      TRAINING_MEMORY_CHECK: 'warn',
      TRAINING_MEMORY_BUDGET_BYTES: String(64 * GiB),
      WORKER_MEMORY_BYTES: String(64 * GiB),
      TRAINING_THREADS: '1',
      TF_BACKEND: 'wasm',
    });
    // Logits of 1,024 replies × 101 tokens × the dialogue's whole vocabulary: one tensor past 4 GiB, cheap to reach (units 1).
    const jobId = await enqueueDirectly({
      kind: 'seq2seq',
      dataset: 'tinyshakespeare-dialogue',
      params: { embeddingSize: 1, units: 1, maxVocabulary: 50_000, maxInputLength: 1, maxReplyLength: 100, batchSize: 1024, epochs: 1, probes: [] },
    });
    expect(await doomed.exited).toBe(70);
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 30_000 });
    expect(job.state).toBe('failed');
    expect(job.error).toMatch(/^the WebAssembly heap failed running this job \((memory access out of bounds|Aborted).*Not retried; the worker restarts$/);
    expect(job.attempts.made).toBe(1);
    expect(doomed.logs.some((l) => String(l.msg).startsWith('the tfjs backend failed') && l.level === 60)).toBe(true);
    expect(doomed.logs.filter((l) => l.notJson)).toEqual([]);

    const next = await system.startWorker();
    const small = await enqueueDirectly({ ...finding, params: { window: 10, units1: 4, units2: 4, epochs: 1 }, horizon: 5 });
    expect((await pollJob(system.api, small, finished, { timeoutMs: 60_000 })).state).toBe('completed');
    await next.stop();
  }, 180_000); // reaching the heap's limit takes about 30 s of tfjs work here
});
