import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSeasonalSeries } from '@mlq/models';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';
import { toCoinCsv } from './harness/csv.ts';

/**
 * Backtests through the API with real workers: fold boundaries fixed at enqueue, nothing after an
 * origin reaching its fold (a poisoned future changes no forecast), folds run by several workers
 * and gathered by the parent, per-fold progress, cancellation.
 */

const LENGTH = 200;
const closes = generateSeasonalSeries({ length: LENGTH, period: 7, amplitude: 30, noise: 3, trend: 0.5, level: 1000, seed: 11 });
/** The same series with every point from index 185 on multiplied by 10: after fold 0's test window. */
const poisoned = closes.map((close, i) => (i >= 185 ? close * 10 : close));
const tinyLstm = { window: 8, units1: 4, units2: 4, epochs: 2, batchSize: 32, dropout: 0 };

let system: TestSystem;

async function upload(name: string, values: readonly number[]): Promise<string> {
  const response = await system.api.inject({ method: 'POST', url: `/v1/datasets?name=${name}.csv`, headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(values) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

async function runBacktest(body: Record<string, unknown>): Promise<{ accepted: Record<string, any>; job: Record<string, any>; progress: Array<Record<string, any>> }> {
  const response = await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: body });
  expect(response.statusCode, response.body).toBe(202);
  const accepted = response.json();
  const progress: Array<Record<string, any>> = [];
  // Folds train tiny models; four of them take seconds on two cores with other suites running.
  const job = await pollJob(system.api, accepted.jobId, finished, { timeoutMs: 110_000, onView: (view) => view.progress && progress.push(view.progress) });
  return { accepted, job, progress };
}

beforeAll(async () => {
  system = await startTestSystem({ workers: 2 });
});
afterAll(async () => system?.close());

describe('POST /v1/backtests', () => {
  let clean: string;
  let dirty: string;

  beforeAll(async () => {
    clean = await upload('bt-clean', closes);
    dirty = await upload('bt-poisoned', poisoned);
  });

  it('fixes the fold boundaries at enqueue and trains each fold on the points before its origin only', async () => {
    const spec = { architecture: 'linear', folds: 4, horizon: 5, seasonalPeriod: 7 };
    const [a, b] = await Promise.all([runBacktest({ ...spec, dataset: clean, series: 'bt-clean' }), runBacktest({ ...spec, dataset: dirty, series: 'bt-poisoned' })]);
    expect(a.accepted.folds.map((fold: { trainEnd: number; testEnd: number }) => [fold.trainEnd, fold.testEnd])).toEqual([
      [180, 185],
      [185, 190],
      [190, 195],
      [195, 200],
    ]);
    expect(a.accepted.folds[0].origin).toBe('2016-06-28'); // point 179 of a daily series from 2016-01-01
    for (const run of [a, b]) expect(run.job.state, run.job.error).toBe('completed');
    const [foldsA, foldsB] = [a.job.result.folds, b.job.result.folds];
    expect(foldsA.map((fold: { index: number }) => fold.index)).toEqual([0, 1, 2, 3]);
    expect(foldsA[0].dates).toEqual(['2016-06-29', '2016-06-30', '2016-07-01', '2016-07-02', '2016-07-03']);
    expect(foldsA[0].actual).toEqual(closes.slice(180, 185).map((close) => Number(close.toFixed(2))));

    // Fold 0 never sees the poison (it starts after its test window): everything is the same.
    expect(foldsB[0]).toEqual({ ...foldsA[0], durationMs: foldsB[0].durationMs });
    // Fold 1 trains on clean points only: the same forecasts, but the poisoned actuals score them.
    expect(foldsB[1].model.forecast).toEqual(foldsA[1].model.forecast);
    for (const name of ['naive', 'seasonalNaive', 'drift']) expect(foldsB[1].baselines[name].forecast).toEqual(foldsA[1].baselines[name].forecast);
    expect(foldsB[1].actual).not.toEqual(foldsA[1].actual);
    expect(foldsB[1].model.scores.mae).toBeGreaterThan(foldsA[1].model.scores.mae);
    // Folds 2 and 3 train on poisoned points: the poison is in their fits.
    expect(foldsB[3].model.forecast).not.toEqual(foldsA[3].model.forecast);

    const result = a.job.result;
    expect(result).toMatchObject({ dataset: clean, series: 'bt-clean', architecture: 'linear', horizon: 5, step: 5, seasonalPeriod: 7, seriesLength: LENGTH, failed: {} });
    const meanOf = (values: number[]) => values.reduce((x, y) => x + y, 0) / values.length;
    expect(result.summary.model.mae).toBeCloseTo(meanOf(foldsA.map((fold: any) => fold.model.scores.mae)), 9);
    expect(result.summary.naive.mase).toBeCloseTo(meanOf(foldsA.map((fold: any) => fold.baselines.naive.scores.mase)), 9);
    for (const name of ['naive', 'seasonalNaive', 'drift']) {
      expect(result.summary[name].folds).toBe(4);
      expect(result.summary[name].coverage).toBeGreaterThanOrEqual(0);
      expect(result.summary[name].coverage).toBeLessThanOrEqual(1);
      expect(foldsA[0].baselines[name].intervals.lower.every((low: number, j: number) => low <= foldsA[0].baselines[name].intervals.upper[j])).toBe(true);
    }
    expect(result.summary.model.coverage).toBeNull(); // the linear model gives no intervals
    expect(result.skill.relativeMase).toBeCloseTo(result.summary.model.mase / result.summary.naive.mase, 9);
    expect(result.skill.beatsNaive).toBe(result.skill.relativeMase < 1);

    // Per-fold progress on the parent, ending with every fold completed.
    expect(a.job.progress).toMatchObject({ kind: 'backtest', folds: 4, completed: 4, failed: 0 });
    expect(a.job.progress.byFold.map((fold: { state: string }) => fold.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
    const counts = a.progress.map((p) => p.completed as number);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
  });

  it('runs the folds of an LSTM backtest on both workers and gathers them', async () => {
    const { accepted, job } = await runBacktest({ dataset: clean, series: 'bt-clean', architecture: 'lstm', params: { ...tinyLstm, epochs: 6 }, seed: 3, folds: 4, horizon: 5 });
    expect(job.state, job.error).toBe('completed');
    expect(job.result.folds).toHaveLength(4);
    expect(job.result.folds.every((fold: any) => fold.model.forecast.length === 5 && fold.model.forecast.every(Number.isFinite))).toBe(true);
    const foldIds: string[] = accepted.folds.map((fold: { jobId: string }) => fold.jobId);
    const ranOn = system.workers().map((worker) => foldIds.filter((id) => worker.logs.some((line) => line.msg === 'job started' && line.jobId === id)).length);
    expect(
      ranOn.every((count) => count > 0),
      `folds per worker: ${ranOn.join(', ')}`,
    ).toBe(true);
    for (const id of foldIds) {
      const fold = (await system.api.inject({ method: 'GET', url: `/v1/jobs/${id}` })).json();
      expect(fold).toMatchObject({ name: 'backtest-fold', state: 'completed', parent: accepted.jobId });
    }
  });

  it('refuses a series too short for the folds, naming the field, before enqueueing anything', async () => {
    const tooMany = await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: clean, series: 'bt-clean', architecture: 'lstm', folds: 40, horizon: 5 } });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json()).toMatchObject({ field: 'body/folds', details: { points: LENGTH, needed: 65 + 39 * 5 + 5, trainingPoints: 65 } });
    const badFolds = await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: clean, series: 'bt-clean', folds: 0 } });
    expect(badFolds.json()).toMatchObject({ statusCode: 400, field: 'body/folds' });
    const unknownParam = await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: clean, series: 'bt-clean', params: { units: 3 } } });
    expect(unknownParam.json()).toMatchObject({ statusCode: 400, field: 'body/params' });
    const badArchitecture = await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: clean, series: 'bt-clean', architecture: 'prophet' } });
    expect(badArchitecture.json()).toMatchObject({ statusCode: 400, field: 'body/architecture' });
    expect((await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: clean, series: 'nope' } })).statusCode).toBe(404);
    expect((await system.api.inject({ method: 'POST', url: '/v1/backtests', payload: { dataset: 'ds_missing', series: 'x' } })).statusCode).toBe(404);
  });

  it('is cancelled with DELETE /v1/jobs/:id: folds not started are removed, the running one stops, the backtest ends cancelled', async () => {
    const response = await system.api.inject({
      method: 'POST',
      url: '/v1/backtests',
      payload: { dataset: 'crypto-top100', series: 'Bitcoin', architecture: 'lstm', params: { ...tinyLstm, window: 30, units1: 32, units2: 32, epochs: 1000 }, folds: 6, horizon: 5 },
    });
    expect(response.statusCode, response.body).toBe(202);
    const { jobId, folds } = response.json();
    await pollJob(system.api, jobId, (view) => view.progress?.active > 0, { timeoutMs: 60_000 });
    const cancel = await system.api.inject({ method: 'DELETE', url: `/v1/jobs/${jobId}` });
    expect(cancel.statusCode, cancel.body).toBe(202);
    expect(cancel.json()).toEqual({ id: jobId, state: 'cancelling' });
    // Each running fold stops at its next batch.
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 60_000 });
    expect(job.state).toBe('cancelled');
    const states = await Promise.all(
      folds.map(async (fold: { jobId: string }) => {
        const view = await system.api.inject({ method: 'GET', url: `/v1/jobs/${fold.jobId}` });
        return view.statusCode === 404 ? 'removed' : view.json().state;
      }),
    );
    expect(states.filter((state) => state === 'completed')).toEqual([]);
    expect(states).toContain('cancelled');
    expect(states).toContain('removed');
  });
});
