import { describe, expect, it } from 'vitest';
import { useTestRedisClient } from '../../../test/harness/hooks.ts';
import { createScheduleId, isScheduleId, SCHEDULE_RUNS_KEPT, ScheduleRuns, type ScheduleRun } from './schedules.ts';

const run = (jobId: string, fields: Partial<ScheduleRun> = {}): ScheduleRun => ({
  jobId,
  at: new Date(0).toISOString(),
  state: 'training',
  trainJobId: `tr_${jobId}`,
  modelId: null,
  version: null,
  error: null,
  ...fields,
});

describe('schedule ids', () => {
  it('are sc_ and 20 hex digits', () => {
    const id = createScheduleId();
    expect(isScheduleId(id)).toBe(true);
    expect(isScheduleId(`${id}0`)).toBe(false);
    expect(isScheduleId('sc_../../x')).toBe(false);
  });
});

describe('ScheduleRuns (real Redis)', () => {
  const testRedis = useTestRedisClient();

  it('lists runs newest first, updates a run where it stands, keeps the latest few, and goes with its schedule', async () => {
    const runs = new ScheduleRuns(testRedis.client, testRedis.redis.prefix);
    await runs.record('sc_a', run('r1'));
    await runs.record('sc_a', run('r2', { state: 'skipped', trainJobId: null }));
    await runs.record('sc_a', run('r1', { state: 'completed', modelId: 'm_tr_r1', version: 3 }));
    expect((await runs.list('sc_a')).map((r) => [r.jobId, r.state])).toEqual([
      ['r2', 'skipped'],
      ['r1', 'completed'],
    ]);
    expect((await runs.list('sc_a'))[1]).toMatchObject({ modelId: 'm_tr_r1', version: 3 });
    for (let i = 3; i < SCHEDULE_RUNS_KEPT + 5; i++) await runs.record('sc_a', run(`r${i}`));
    const kept = await runs.list('sc_a');
    expect(kept).toHaveLength(SCHEDULE_RUNS_KEPT);
    expect(kept[0]!.jobId).toBe(`r${SCHEDULE_RUNS_KEPT + 4}`);
    expect(await runs.list('sc_a', 2)).toHaveLength(2);
    expect(await testRedis.client.ttl(`${testRedis.redis.prefix}:schedule-runs:sc_a`)).toBeGreaterThan(0);
    await runs.remove('sc_a');
    expect(await runs.list('sc_a')).toEqual([]);
  });
});
