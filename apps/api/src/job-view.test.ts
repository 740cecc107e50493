import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { toJobView, withCurrentState } from './job-view.ts';

let redis: TestRedis;
let queue: Queue;
const connection = () => new Redis(redis.url, { maxRetriesPerRequest: null });

beforeAll(async () => {
  redis = await startTestRedis();
  queue = new Queue('train', { connection: connection(), prefix: redis.prefix });
});
afterAll(async () => {
  await queue?.close();
  await redis?.close();
});

describe('a job view read while the job finishes', () => {
  it('pairs a finished state with the finished hash, never with the hash from before', async () => {
    const added = await queue.add('train', { n: 1 });
    const stale = (await queue.getJob(added.id!))!; // read while waiting: no result, no attempt
    const events = new QueueEvents('train', { connection: connection(), prefix: redis.prefix });
    await events.waitUntilReady();
    const worker = new Worker('train', async () => ({ ok: true }), { connection: connection(), prefix: redis.prefix });
    await added.waitUntilFinished(events);
    await worker.close();
    await events.close();

    expect(stale.finishedOn).toBeUndefined();
    const { job, state } = await withCurrentState(queue, stale);
    expect(state).toBe('completed');
    expect(toJobView(job, 'train', state)).toMatchObject({ state: 'completed', result: { ok: true }, attempts: { made: 1 } });
  });
});
