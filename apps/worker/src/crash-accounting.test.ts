import { describe, expect, it } from 'vitest';
import { UnrecoverableError, type Job } from 'bullmq';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { CrashAccounting } from './crash-accounting.ts';

const testRedis = useTestRedisClient();

const job = (id: string) => ({ queueName: 'predict', id }) as Job;
const worker = (id: string, threshold = 3) => new CrashAccounting(testRedis.client, testRedis.redis.prefix, id, threshold);
const runsKey = (id: string) => `${testRedis.redis.prefix}:job-runs:predict:${id}`;

describe('CrashAccounting (real Redis)', () => {
  it('counts the workers whose runs never ended, each once, and fails the job as poison at the threshold', async () => {
    const j = job('pr_poison');
    expect(await worker('w1').begin(j)).toEqual({ crashedWorkers: [] });
    expect(Object.keys(await testRedis.client.hgetall(runsKey(j.id!)))).toEqual(['w1']);
    // w1 died: its run is still recorded when w2 starts the job.
    expect((await worker('w2').begin(j)).crashedWorkers).toEqual(['w1']);
    expect(Object.keys(await testRedis.client.hgetall(runsKey(j.id!)))).toEqual(['w2']);
    // The same worker starting it again (it lost the lock, and took the job back) is not a crash of its own.
    expect((await worker('w2').begin(j)).crashedWorkers).toEqual(['w1']);
    expect((await worker('w3').begin(j)).crashedWorkers.sort()).toEqual(['w1', 'w2']);
    const poisoned = await worker('w4')
      .begin(j)
      .catch((error: unknown) => error);
    expect(poisoned).toBeInstanceOf(UnrecoverableError);
    expect((poisoned as Error).message).toMatch(/^poison job: 3 worker processes died while running it \(.*w3.*\); at POISON_JOB_CRASHES=3 it is not run again$/);
    expect(await testRedis.client.exists(runsKey(j.id!), `${runsKey(j.id!)}:crashed`)).toBe(0);
  });

  it('forgets a run that ended, and the crashes of a job that settled', async () => {
    const j = job('pr_ended');
    await worker('w1').begin(j);
    await worker('w2').begin(j); // w1 crashed
    await worker('w2').end(j, false); // released: w2 did not crash
    expect((await worker('w3').begin(j)).crashedWorkers).toEqual(['w1']);
    expect(await testRedis.client.ttl(runsKey(j.id!))).toBeGreaterThan(0);
    await worker('w3').end(j, true);
    expect(await testRedis.client.exists(runsKey(j.id!), `${runsKey(j.id!)}:crashed`)).toBe(0);
    expect(await worker('w4').begin(j)).toEqual({ crashedWorkers: [] });
  });
});
