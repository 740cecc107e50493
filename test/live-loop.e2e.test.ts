import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DriftTracker } from '@mlq/jobs';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';
import { toCoinCsv } from './harness/csv.ts';

/**
 * The live loop through the API with a real worker: rows appended to a dataset, retraining on a
 * BullMQ job scheduler, and realised error against naive once actuals arrive (drift).
 */

const DRIFT_WINDOW = 10;
const shared = { DRIFT_WINDOW: String(DRIFT_WINDOW), DRIFT_MARGIN: '0.1' };

let system: TestSystem;
let redis: Redis;
let drift: DriftTracker;

/** 120 daily closes on a straight trend with a little noise, from 2016-01-01 (the last is 2016-04-29). */
const trend = (t: number) => 100 + 2 * t + 0.5 * Math.sin(t * 1.7);
const history = Array.from({ length: 120 }, (_, t) => trend(t));
const dayAfter = (days: number) => new Date(Date.parse('2016-04-29T00:00:00Z') + days * 86_400_000).toISOString().slice(0, 10);

async function upload(name: string, values: readonly number[]): Promise<string> {
  const response = await system.api.inject({ method: 'POST', url: `/v1/datasets?name=${name}.csv`, headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(values) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

async function train(dataset: string, series: string, name: string): Promise<Record<string, any>> {
  const response = await system.api.inject({ method: 'POST', url: '/v1/train', payload: { kind: 'price', architecture: 'linear', dataset, series, name, horizon: 10 } });
  expect(response.statusCode, response.body).toBe(202);
  const job = await pollJob(system.api, response.json().jobId, finished);
  expect(job.state, job.error).toBe('completed');
  return job.result;
}

/** The worker records a prediction's forecast after the job completes: wait until it is there. */
async function recordedForecasts(name: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while ((await drift.forecasts(name)).length < count) {
    if (Date.now() > deadline) throw new Error(`forecasts of ${name} not recorded`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const append = (id: string, rows: unknown[]) => system.api.inject({ method: 'POST', url: `/v1/datasets/${id}/rows`, payload: { rows } });

beforeAll(async () => {
  system = await startTestSystem({ workers: 1, apiEnv: { ...shared, SCHEDULE_MIN_INTERVAL_MS: '1000' }, workerEnv: shared });
  redis = new Redis(system.redis.url);
  drift = new DriftTracker(redis, system.redis.prefix, { window: DRIFT_WINDOW, margin: 0.1 });
});
afterAll(async () => {
  redis?.disconnect();
  await system?.close();
});

describe('POST /v1/datasets/:id/rows', () => {
  it('appends dated closes as a new version that trainings read, and refuses what does not follow', async () => {
    const id = await upload('rows-a', history);
    const response = await append(id, [
      { date: '2016-04-30', close: 340.5 },
      { series: 'rows-a', date: '2016-05-02', close: 342 },
    ]);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ id, version: 2, appended: { 'rows-a': 2 }, drift: [] });
    const dataset = (await system.api.inject({ method: 'GET', url: `/v1/datasets/${id}` })).json();
    expect(dataset.summary.series).toEqual([{ name: 'rows-a', rows: 122, from: '2016-01-01', to: '2016-05-02' }]);
    expect(dataset).toMatchObject({ version: 2, updatedAt: expect.any(String) });
    expect(dataset).not.toHaveProperty('appended'); // where the files are is the server's business

    const refusals: Array<[unknown[], string, RegExp]> = [
      [[{ date: '2016-05-02', close: 1 }], 'body/rows/0/date', /2016-05-02 is not after 2016-05-02, the last date of series "rows-a"/],
      [
        [
          { date: '2016-05-05', close: 1 },
          { date: '2016-05-04', close: 1 },
        ],
        'body/rows/1/date',
        /not after 2016-05-05.*in this request/,
      ],
      [[{ date: '2016-02-30', close: 1 }], 'body/rows/0/date', /not a calendar date/],
      [[{ date: '2016-5-9', close: 1 }], 'body/rows/0/date', /must match pattern/],
      [[{ series: 'other', date: '2016-06-01', close: 1 }], 'body/rows/0/series', /series "other" is not in dataset/],
      [[{ date: '2016-06-01', close: '12' }], 'body/rows/0/close', /must be number/],
      [[{ date: '2016-06-01' }], 'body/rows/0', /must have required property 'close'/],
      [[], 'body/rows', /must NOT have fewer than 1 items/],
    ];
    for (const [rows, field, message] of refusals) {
      const refused = await append(id, rows);
      expect(refused.statusCode, JSON.stringify(rows)).toBe(400);
      expect(refused.json().field, JSON.stringify(rows)).toBe(field);
      expect(refused.json().message).toMatch(message);
    }
    const tooMany = await append(
      id,
      Array.from({ length: 10_001 }, (_, i) => ({ date: dayAfter(10 + i), close: 1 })),
    );
    expect(tooMany.json()).toMatchObject({ statusCode: 400, field: 'body/rows' });
    const builtin = await append('crypto-top100', [{ series: 'Bitcoin', date: '2030-01-01', close: 1 }]);
    expect(builtin.json()).toMatchObject({ statusCode: 400, field: 'params/id', message: expect.stringMatching(/built in/) });
    expect((await append('ds_0000000000000000', [{ date: '2030-01-01', close: 1 }])).statusCode).toBe(404);
    const text = await system.api.inject({ method: 'POST', url: '/v1/datasets?kind=text&name=t.txt', headers: { 'content-type': 'text/plain' }, payload: 'some words' });
    expect((await append(text.json().id, [{ date: '2030-01-01', close: 1 }])).json()).toMatchObject({ statusCode: 400, field: 'params/id', message: expect.stringMatching(/holds text/) });

    // A training started after the append sees the new rows.
    const model = await train(id, 'rows-a', 'rows-a-linear');
    const record = (await system.api.inject({ method: 'GET', url: `/v1/models/${model.modelId}` })).json();
    expect(record.lastDate).toBe('2016-05-02');

    // Deleting the dataset removes the appended rows' files with it.
    const folder = path.join(system.storeDir, 'datasets', id);
    expect(existsSync(path.join(folder, 'rows'))).toBe(true);
    expect((await system.api.inject({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(200);
    expect(existsSync(folder)).toBe(false);
    expect((await append(id, [{ date: '2030-01-01', close: 1 }])).statusCode).toBe(404);
  });
});

describe('drift', () => {
  it("flags the model of a series whose behaviour changes, not the one whose behaviour holds, in the model's record and in /metrics", async () => {
    const steady = await upload('steady', history);
    const broken = await upload('broken', history);
    await train(steady, 'steady', 'steady-linear');
    await train(broken, 'broken', 'broken-linear');
    for (const name of ['steady-linear', 'broken-linear']) {
      const predict = await system.api.inject({ method: 'POST', url: '/v1/predict?wait=30', payload: { model: name, horizon: 10 } });
      expect(predict.statusCode, predict.body).toBe(200);
      expect(predict.json().result.dates[0]).toBe('2016-04-30');
      await recordedForecasts(name, 1);
    }
    const before = (await system.api.inject({ method: 'GET', url: '/v1/models/steady-linear' })).json();
    expect(before.drift).toBeNull(); // forecasts recorded, no actuals yet

    // Ten days later: the steady series keeps its trend, the broken one stops rising.
    const days = Array.from({ length: 10 }, (_, j) => j + 1);
    const steadyRows = days.map((d) => ({ date: dayAfter(d), close: trend(119 + d) }));
    const brokenRows = days.map((d) => ({ date: dayAfter(d), close: trend(119) + Math.sin(d) }));
    const steadyAppend = (await append(steady, steadyRows.slice(0, 6))).json();
    expect(steadyAppend.drift).toMatchObject([{ name: 'steady-linear', flagged: false, points: 6 }]); // the window is not full yet
    const steadyState = (await append(steady, steadyRows.slice(6))).json().drift[0];
    expect(steadyState).toMatchObject({ name: 'steady-linear', flagged: false, points: DRIFT_WINDOW, window: DRIFT_WINDOW, margin: 0.1, lastDate: dayAfter(10) });
    expect(steadyState.ratio).toBeLessThan(0.2);
    const brokenState = (await append(broken, brokenRows)).json().drift[0];
    expect(brokenState).toMatchObject({ name: 'broken-linear', flagged: true, points: DRIFT_WINDOW });
    expect(brokenState.ratio).toBeGreaterThan(1.1);
    expect(brokenState.flaggedSince).toEqual(expect.any(String));

    const record = (await system.api.inject({ method: 'GET', url: '/v1/models/broken-linear' })).json();
    expect(record.drift).toMatchObject({ flagged: true, realisedMae: brokenState.realisedMae, naiveMae: brokenState.naiveMae });
    expect((await system.api.inject({ method: 'GET', url: '/v1/models/steady-linear@1' })).json().drift.flagged).toBe(false);

    const metrics = (await system.api.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('mlq_model_drift{model="broken-linear"} 1');
    expect(metrics).toContain('mlq_model_drift{model="steady-linear"} 0');
    expect(metrics).toMatch(/mlq_model_realised_error_ratio\{model="broken-linear"\} \d/);

    // A name deleted with all its versions takes its forecasts and drift state with it.
    expect((await system.api.inject({ method: 'DELETE', url: '/v1/models/broken-linear' })).statusCode).toBe(200);
    expect(await drift.forecasts('broken-linear')).toEqual([]);
    expect((await system.api.inject({ method: 'GET', url: '/metrics' })).body).not.toContain('model="broken-linear"');
  });
});

describe('schedules', () => {
  it('creates, lists and removes a schedule whose runs train new versions and record their forecasts', async () => {
    const id = await upload('scheduled', history);
    const created = await system.api.inject({
      method: 'POST',
      url: '/v1/schedules',
      payload: { train: { kind: 'price', architecture: 'linear', dataset: id, series: 'scheduled', name: 'scheduled-linear' }, every: 1000 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const schedule = created.json();
    expect(schedule).toMatchObject({ id: expect.stringMatching(/^sc_[0-9a-f]{20}$/), every: 1000, pattern: null, train: { dataset: id, name: 'scheduled-linear' } });
    expect((await system.api.inject({ method: 'GET', url: '/v1/schedules' })).json().schedules.map((s: { id: string }) => s.id)).toEqual([schedule.id]);
    // The next tick waits in the batch queue as the scheduler's delayed job: what Bull Board shows.
    const schedulers = await system.api.services.queues.batch.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toEqual([schedule.id]);

    // Runs every second: wait for two completed runs, two versions of the name.
    const deadline = Date.now() + 60_000;
    let view: Record<string, any>;
    for (;;) {
      view = (await system.api.inject({ method: 'GET', url: `/v1/schedules/${schedule.id}` })).json();
      if (view.runs.filter((run: { state: string }) => run.state === 'completed').length >= 2) break;
      if (Date.now() > deadline) throw new Error(`schedule runs: ${JSON.stringify(view.runs)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const completed = view.runs.filter((run: { state: string }) => run.state === 'completed');
    const versions = (await system.api.inject({ method: 'GET', url: '/v1/models?name=scheduled-linear' })).json();
    expect(versions.total).toBeGreaterThanOrEqual(2);
    for (const run of completed) {
      expect(versions.models.map((m: { id: string }) => m.id)).toContain(run.modelId);
      const training = (await system.api.inject({ method: 'GET', url: `/v1/jobs/${run.trainJobId}` })).json();
      expect(training).toMatchObject({ name: 'train', state: 'completed', parent: run.jobId });
      const tick = (await system.api.inject({ method: 'GET', url: `/v1/jobs/${run.jobId}` })).json();
      expect(tick).toMatchObject({ name: 'retrain', state: 'completed', result: { scheduleId: schedule.id, modelId: run.modelId, forecastRecorded: true } });
    }

    const removed = await system.api.inject({ method: 'DELETE', url: `/v1/schedules/${schedule.id}` });
    expect(removed.statusCode, removed.body).toBe(200);
    expect((await system.api.inject({ method: 'GET', url: '/v1/schedules' })).json().schedules).toEqual([]);
    expect((await system.api.inject({ method: 'GET', url: `/v1/schedules/${schedule.id}` })).statusCode).toBe(404);
    expect((await system.api.inject({ method: 'DELETE', url: `/v1/schedules/${schedule.id}` })).statusCode).toBe(404);
    expect(await system.api.services.queues.batch.getJobSchedulersCount()).toBe(0);
    expect((await system.api.services.queues.batch.getDelayed()).filter((job) => job.name === 'retrain')).toEqual([]);

    // The scheduled models' forecasts were recorded: actuals make their realised error.
    const rows = Array.from({ length: 10 }, (_, j) => ({ date: dayAfter(j + 1), close: trend(120 + j) }));
    const appended = (await append(id, rows)).json();
    expect(appended.drift).toMatchObject([{ name: 'scheduled-linear', flagged: false, points: DRIFT_WINDOW }]);
  });

  it('refuses schedules it cannot run, naming the field', async () => {
    const train = { kind: 'price', architecture: 'linear', dataset: 'vega-stocks', series: 'MSFT' };
    const refusals: Array<[Record<string, unknown>, string]> = [
      [{ train }, 'body/every'],
      [{ train, every: 5000, pattern: '* * * * *' }, 'body/every'],
      [{ train, every: 500 }, 'body/every'],
      [{ train, pattern: '*/5 * * * * *' }, 'body/pattern'],
      [{ train, pattern: '61 * * * *' }, 'body/pattern'],
      [{ train, every: 5000, tz: 'Europe/Paris' }, 'body/tz'],
      [{ train: { ...train, params: { epochs: 0 } }, every: 5000 }, 'body/train/params/epochs'],
      [{ train: { ...train, kind: 'tabular' }, every: 5000 }, 'body/train/kind'],
      [{ train: { ...train, series: 'NOPE' }, every: 5000 }, ''],
    ];
    for (const [payload, field] of refusals) {
      const response = await system.api.inject({ method: 'POST', url: '/v1/schedules', payload });
      if (field === '') {
        expect(response.statusCode, response.body).toBe(404);
        continue;
      }
      expect(response.statusCode, `${JSON.stringify(payload)}: ${response.body}`).toBe(400);
      expect(response.json().field, JSON.stringify(payload)).toBe(field);
    }
    const cron = await system.api.inject({ method: 'POST', url: '/v1/schedules', payload: { train, pattern: '0 6 * * 1', tz: 'Europe/Paris' } });
    expect(cron.statusCode, cron.body).toBe(201);
    expect(cron.json()).toMatchObject({ pattern: '0 6 * * 1', tz: 'Europe/Paris', every: null, next: expect.any(String) });
    expect(new Date(cron.json().next).getUTCDay()).toBe(1); // a Monday, 06:00 in Paris
    expect((await system.api.inject({ method: 'DELETE', url: `/v1/schedules/${cron.json().id}` })).statusCode).toBe(200);
    expect((await system.api.inject({ method: 'GET', url: '/v1/schedules/sc_nope' })).statusCode).toBe(404);
  });
});
