/**
 * Test fixtures that register vitest hooks: for test files only (scripts and benchmarks import
 * the other harness modules outside vitest).
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from './redis.ts';
import { startTestSystem, type TestSystem } from './system.ts';

/** A test Redis and one client on it for the tests of a file (or a describe block), closed after them. */
export function useTestRedisClient(): { readonly redis: TestRedis; readonly client: Redis } {
  let redis: TestRedis | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
    client = new Redis(redis.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await redis?.close();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test Redis starts in beforeAll');
    return value;
  };
  return {
    get redis() {
      return started(redis);
    },
    get client() {
      return started(client);
    },
  };
}

/**
 * One test system for a test file, with the jobs the train queue reports stalled; workers a
 * failed test left running are killed after it, so they cannot take the next test's jobs.
 */
export function useTrainingSystem(workerEnv: Record<string, string>): { readonly system: TestSystem; readonly stalled: string[] } {
  let system: TestSystem | undefined;
  let events: QueueEvents | undefined;
  const stalled: string[] = [];
  beforeAll(async () => {
    system = await startTestSystem({ workers: 0, workerEnv });
    events = new QueueEvents('train', { connection: new Redis(system.redis.url, { maxRetriesPerRequest: null }), prefix: system.redis.prefix });
    events.on('stalled', ({ jobId }) => stalled.push(jobId));
    await events.waitUntilReady();
  });
  afterEach(async () => {
    await Promise.all((system?.workers() ?? []).map((w) => w.stop('SIGKILL')));
  });
  afterAll(async () => {
    await events?.close();
    await system?.close();
  });
  return {
    get system() {
      if (!system) throw new Error('the test system starts in beforeAll');
      return system;
    },
    stalled,
  };
}
