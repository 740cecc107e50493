import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { listenForFinish } from './job-finish.ts';

let redis: TestRedis;
let connection: Redis;
let queue: Queue;
let events: QueueEvents;
let worker: Worker;

beforeAll(async () => {
  redis = await startTestRedis();
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue('finish', { connection, prefix: redis.prefix });
  events = new QueueEvents('finish', { connection: connection.duplicate(), prefix: redis.prefix });
  await events.waitUntilReady();
  worker = new Worker(
    'finish',
    async (job) => {
      if (job.data.fail) throw new Error('it failed');
      return { doubled: job.data.value * 2 };
    },
    { connection: connection.duplicate(), prefix: redis.prefix, autorun: false },
  );
});
afterAll(async () => {
  await worker?.close();
  await events?.close();
  await queue?.close();
  connection?.disconnect();
  await redis?.close();
});

describe('listenForFinish (real Redis, real BullMQ worker)', () => {
  it('catches a job that finished before anyone waited, without reading its state', async () => {
    const completed = listenForFinish(events, queue, 'fast');
    const failed = listenForFinish(events, queue, 'broken');
    await queue.add('job', { value: 21 }, { jobId: 'fast' });
    await queue.add('job', { fail: true }, { jobId: 'broken', attempts: 1 });
    // Both jobs' events have been read from Redis and emitted before `wait` is called.
    const emitted = new Promise((resolve) => events.once('failed', resolve));
    void worker.run();
    await emitted;
    expect(await completed.wait(30_000)).toBe('completed');
    expect(await failed.wait(30_000)).toBe('failed');
  });

  it('times out for a job that does not finish, and stops listening', async () => {
    await worker.pause();
    const listener = listenForFinish(events, queue, 'parked');
    await queue.add('job', { value: 1 }, { jobId: 'parked' });
    expect(await listener.wait(50)).toBe('timeout');
    expect(events.listenerCount('completed:parked')).toBe(0);
    expect(events.listenerCount('failed:parked')).toBe(0);
  });
});
