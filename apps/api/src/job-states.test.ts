import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { Queue, type JobState } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { countedStates, jobStates } from './job-states.ts';

let redis: TestRedis;
let queue: Queue;

beforeAll(async () => {
  redis = await startTestRedis();
  queue = new Queue('train', { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix: redis.prefix });
});
afterAll(async () => {
  await queue?.close();
  await redis?.close();
});

describe('the job state list', () => {
  it("is BullMQ's JobState, every state and no other (checked by the type checker)", () => {
    expectTypeOf<(typeof jobStates)[number]>().toEqualTypeOf<JobState>();
    expect(new Set(jobStates).size).toBe(jobStates.length);
  });

  it('counts for metrics what BullMQ counts when asked for every state', async () => {
    const everyCount = await queue.getJobCounts();
    expect([...countedStates].sort()).toEqual(Object.keys(everyCount).sort());
  });
});
