import { describe, expect, it } from 'vitest';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { publishWorkerBudget, readWorkerBudget, sizeTrainingBudget, WORKER_BASELINE_BYTES, WORKER_BUDGET_TTL_MS, withdrawWorkerBudget } from './worker-budgets.ts';

const testRedis = useTestRedisClient();

const MiB = 1024 ** 2;

describe('worker budgets in Redis', () => {
  it('gives the largest live budget, then the last one published once none is live', async () => {
    const now = Date.now();
    const small = { workerId: 'a:1', budgetBytes: 500 * MiB, threads: 2, wasmHeaps: true };
    const large = { workerId: 'b:2', budgetBytes: 3000 * MiB, threads: 1, wasmHeaps: false };
    expect(await readWorkerBudget(testRedis.client, testRedis.redis.prefix, now)).toBeUndefined();
    await publishWorkerBudget(testRedis.client, testRedis.redis.prefix, large, now);
    await publishWorkerBudget(testRedis.client, testRedis.redis.prefix, small, now + 1);
    expect(await readWorkerBudget(testRedis.client, testRedis.redis.prefix, now + 2)).toEqual({ budgetBytes: 3000 * MiB, threads: 1, wasmHeaps: false, source: 'live' });
    await withdrawWorkerBudget(testRedis.client, testRedis.redis.prefix, large);
    expect(await readWorkerBudget(testRedis.client, testRedis.redis.prefix, now + 2)).toMatchObject({ budgetBytes: 500 * MiB, source: 'live' });
    // Past the TTL nobody is live: the last budget published stands in.
    expect(await readWorkerBudget(testRedis.client, testRedis.redis.prefix, now + 2 + WORKER_BUDGET_TTL_MS)).toMatchObject({ budgetBytes: 500 * MiB, source: 'last' });
  });

  it('sizes a training budget from the process memory, the model cache and the concurrency', () => {
    expect(sizeTrainingBudget(4096 * MiB, 512 * MiB, 1)).toBe(4096 * MiB - WORKER_BASELINE_BYTES - 512 * MiB);
    expect(sizeTrainingBudget(4096 * MiB, 512 * MiB, 2)).toBe((4096 * MiB - WORKER_BASELINE_BYTES - 512 * MiB) / 2);
    expect(sizeTrainingBudget(256 * MiB, 512 * MiB, 1)).toBe(128 * MiB);
  });
});
