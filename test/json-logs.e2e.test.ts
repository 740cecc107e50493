import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer } from './harness/redis.ts';
import { startWorkerProcess, type WorkerProcess } from './harness/processes.ts';

/**
 * The README says logs are JSON lines. A real worker process rides out a Redis outage (kill,
 * then restart on the same port): every line it writes, on stdout and stderr, parses as JSON,
 * and the outage is logged once when it starts and once when it ends, not per retry of every
 * connection (ioredis printed 52 "[ioredis] Unhandled error event" stacks per outage).
 */
let redis: Awaited<ReturnType<typeof startRedisServer>>;
let worker: WorkerProcess;
let storeDir: string;

beforeAll(async () => {
  redis = await startRedisServer();
  storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-json-logs-'));
  worker = await startWorkerProcess({ REDIS_URL: redis.url, QUEUE_PREFIX: 'json-logs', MODEL_STORE_DIR: storeDir, METRICS_PORT: '0' });
});
afterAll(async () => {
  await worker?.stop('SIGKILL');
  await redis?.stop();
  await rm(storeDir, { recursive: true, force: true });
});

describe('worker logs through a Redis outage', () => {
  it('are JSON lines only, with the outage logged a bounded number of times', async () => {
    const port = Number(new URL(redis.url).port);
    for (let outage = 1; outage <= 2; outage++) {
      await redis.stop();
      await worker.waitForLog((l) => l.msg === 'Redis unreachable' && worker.logs.filter((m) => m.msg === 'Redis unreachable').length >= outage, 30_000);
      // Several seconds down: every connection retries many times meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      redis = await startRedisServer(port);
      await worker.waitForLog((l) => l.msg === 'Redis back' && worker.logs.filter((m) => m.msg === 'Redis back').length >= outage, 30_000);
    }
    // Let late reconnections settle before counting.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await worker.stop('SIGTERM')).toBe(0);

    expect(worker.logs.filter((l) => l.notJson).map((l) => l.msg)).toEqual([]);
    const stderrLines = worker
      .stderr()
      .split('\n')
      .filter((line) => line.trim() !== '');
    for (const line of stderrLines) expect(() => JSON.parse(line), line).not.toThrow();
    const unreachable = worker.logs.filter((l) => l.msg === 'Redis unreachable');
    const back = worker.logs.filter((l) => l.msg === 'Redis back');
    expect(unreachable.length).toBeGreaterThanOrEqual(2);
    expect(unreachable.length).toBeLessThanOrEqual(2 * 3);
    expect(back.length).toBe(unreachable.length);
    expect(back.some((l) => Number(l.errorsSuppressed) > 0)).toBe(true);
    expect(worker.logs.filter((l) => l.msg === 'worker error')).toEqual([]);
  });
});
