import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSeasonalSeries } from '@mlq/models';
import { finished, pollJob, startTestSystem, type TestSystem } from './harness/system.ts';
import { toCoinCsv } from './harness/csv.ts';
import type { WorkerProcess } from './harness/processes.ts';

let system: TestSystem;
let worker: WorkerProcess;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0 });
  worker = await system.startWorker();
});
afterAll(async () => system?.close());

const post = (url: string, payload: unknown) => system.api.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });

async function train(payload: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await post('/v1/train', { kind: 'price', ...payload });
  expect(response.statusCode, response.body).toBe(202);
  const job = await pollJob(system.api, response.json().jobId, finished);
  expect(job.state, job.error).toBe('completed');
  return job.result;
}

async function predict(payload: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await post('/v1/predict?wait=30', payload);
  expect(response.statusCode, response.body).toBe(200);
  expect(response.json().state, response.json().error).toBe('completed');
  return response.json().result;
}

/** lower ≤ median ≤ upper at every step, each band as long as the forecast. */
function expectOrderedBands(result: Record<string, any>): void {
  const bands = result.intervals as Array<{ quantile: number; values: number[] }>;
  expect(bands.map((band) => band.quantile)).toEqual([0.1, 0.5, 0.9]);
  for (const band of bands) expect(band.values).toHaveLength(result.forecast.length);
  result.forecast.forEach((_: number, j: number) => {
    expect(bands[0]!.values[j]).toBeLessThanOrEqual(bands[1]!.values[j]!);
    expect(bands[1]!.values[j]).toBeLessThanOrEqual(bands[2]!.values[j]!);
  });
}

describe('statistical price models through the API and a real worker', () => {
  it('trains auto (the default architecture) with its choice and skill, forecasts with intervals, and a restarted worker loads it to forecast identically', async () => {
    const result = await train({ dataset: 'crypto-top100', series: 'Ethereum', name: 'eth-auto' });
    expect(result).toMatchObject({ architecture: 'auto', epochs: 0, unavailable: {} });
    expect(result.method).toMatch(/^auto: /);
    expect(result.selection.candidates.map((c: { label: string }) => c.label)).toEqual(['naive', 'drift', 'ets(auto)', 'theta', 'optimizedTheta']);
    expect(result.selection.candidates.every((c: { meanMase: number | null }) => Number.isFinite(c.meanMase))).toBe(true);
    expect(result.skill).toMatchObject({ method: 'nested-backtest', folds: 20, horizon: 10, step: 3 });
    expect(result.skill.beatsNaive).toBe(result.skill.mase < result.skill.naiveMase);
    expect(result.backtest).toMatchObject({ method: 'nested-backtest', folds: 20, model: { mase: result.skill.mase }, naive: { mase: result.skill.naiveMase } });
    expect(result.calibration).toEqual({ method: 'split-conformal', source: 'nested-backtest', scale: 'relative', quantiles: [0.1, 0.5, 0.9], horizon: 10, errorsPerStep: 20 });
    expect(Number.isFinite(result.metrics.model.rmse)).toBe(true);

    const record = (await system.api.inject({ method: 'GET', url: '/v1/models/eth-auto' })).json();
    expect(record).toMatchObject({ architecture: 'auto', skill: result.skill, params: { quantiles: [0.1, 0.5, 0.9] } });

    const hot = await predict({ model: 'eth-auto' });
    expect(hot).toMatchObject({ horizon: 10, method: result.method, skill: result.skill, unavailable: {}, cached: true });
    expect(hot.dates[0]).toBe('2017-09-23');
    expectOrderedBands(hot);

    // A new worker process has nothing cached: it loads the saved model from the store.
    await worker.stop('SIGTERM');
    worker = await system.startWorker();
    const loaded = await predict({ model: 'eth-auto' });
    expect(loaded.cached).toBe(false);
    expect({ ...loaded, cached: true }).toEqual(hot);

    // From given history: the candidate auto chose, refitted on it, with the model's calibration.
    const history = Array.from({ length: 40 }, (_, i) => 300 + 2 * i + 5 * Math.sin(i));
    const fromHistory = await predict({ model: 'eth-auto', history, horizon: 5 });
    expect(fromHistory.forecast).toHaveLength(5);
    expect(fromHistory.dates).toBeNull();
    expectOrderedBands(fromHistory);
  });

  it('falls back to naive on a short series, and says why there are no intervals', async () => {
    const closes = generateSeasonalSeries({ length: 15, period: 7, amplitude: 5, noise: 1, level: 100, seed: 3 });
    const upload = await system.api.inject({ method: 'POST', url: '/v1/datasets?name=short.csv', headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(closes) });
    expect(upload.statusCode, upload.body).toBe(201);
    const result = await train({ architecture: 'auto', dataset: upload.json().id, series: 'short', name: 'short-auto', horizon: 10, holdout: 3 });
    expect(result).toMatchObject({ method: 'auto: naive', selection: { chosen: 'naive', reason: 'too-short', folds: 0 }, calibration: null });
    expect(result.unavailable.intervals).toMatch(/2 evaluation origins: too few errors per step/);
    const forecast = await predict({ model: 'short-auto' });
    // The last close repeated (the upload keeps two decimals).
    expect(forecast.forecast).toEqual(new Array(10).fill(forecast.forecast[0]));
    expect(forecast.forecast[0]).toBeCloseTo(closes.at(-1)!, 2);
    expect(forecast).toMatchObject({ intervals: null, method: 'auto: naive', unavailable: { intervals: result.unavailable.intervals } });
  });

  it('serves each statistical architecture, the LSTM and linear with the same fields', async () => {
    const ets = await train({ architecture: 'ets', dataset: 'vega-stocks', series: 'MSFT', horizon: 6 });
    expect(ets.method).toMatch(/^ets\((simple|holt|damped)\)$/);
    expect(ets.selection).toBeNull();
    const etsForecast = await predict({ model: ets.modelId });
    expectOrderedBands(etsForecast);
    expect(etsForecast.skill).toMatchObject({ method: 'backtest', horizon: 6 });
    const longer = await predict({ model: ets.modelId, horizon: 12 });
    expect(longer.intervals).toBeNull();
    expect(longer.unavailable.intervals).toMatch(/calibrated for 6 steps/);

    const seasonal = await train({ architecture: 'seasonal-naive', dataset: 'vega-stocks', series: 'MSFT', params: { period: 12, quantiles: [0.25, 0.75] }, horizon: 6 });
    expect(seasonal.method).toBe('seasonalNaive(12)');
    expect((await predict({ model: seasonal.modelId })).intervals.map((band: { quantile: number }) => band.quantile)).toEqual([0.25, 0.75]);

    const lstm = await train({ architecture: 'lstm', dataset: 'vega-stocks', series: 'MSFT', params: { window: 6, units1: 4, units2: 4, epochs: 2, batchSize: 16 }, horizon: 3 });
    expect(lstm).toMatchObject({ method: 'lstm', selection: null, skill: { method: 'holdout', folds: 1, horizon: 3 }, calibration: null });
    const lstmForecast = await predict({ model: lstm.modelId });
    expect(lstmForecast).toMatchObject({ intervals: null, skill: lstm.skill, unavailable: { intervals: expect.stringMatching(/1 evaluation origin/) } });

    const linear = await train({ architecture: 'linear', dataset: 'vega-stocks', series: 'MSFT', horizon: 3 });
    expectOrderedBands(await predict({ model: linear.modelId }));
  });

  it('refuses params the architecture does not take and history too short for what it refits on, naming the field', async () => {
    const period = await post('/v1/train', { kind: 'price', architecture: 'ets', dataset: 'crypto-top100', series: 'Bitcoin', params: { period: 7 } });
    expect(period.statusCode).toBe(400);
    expect(period.json()).toMatchObject({ field: 'body/params/period', message: 'body/params/period is not a price ets parameter (known: quantiles)' });
    const window = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Bitcoin', params: { window: 20 } });
    expect(window.statusCode).toBe(400);
    expect(window.json().field).toBe('body/params/window');
    const quantile = await post('/v1/train', { kind: 'price', dataset: 'crypto-top100', series: 'Bitcoin', params: { quantiles: [0.5, 0.99] } });
    expect(quantile.statusCode).toBe(400);
    expect(quantile.json().message).toMatch(/quantiles\/1 must be <= 0.95/);

    const ets = await train({ architecture: 'ets', dataset: 'crypto-top100', series: 'Dash', name: 'dash-ets' });
    const short = await post('/v1/predict', { model: 'dash-ets', history: [1, 2, 3] });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ field: 'body/history', message: `history has 3 values; model ${ets.modelId} (ets) refits on it and needs at least 7` });
  });

  it('runs a batch of auto forecasts with intervals and skill per series', async () => {
    const series = ['Bitcoin', 'Ethereum', 'Dash', 'Neblio'];
    const response = await post('/v1/batches', { dataset: 'crypto-top100', series, horizon: 10 });
    expect(response.statusCode, response.body).toBe(202);
    const { batchId, skipped } = response.json();
    expect(skipped).toEqual({ Neblio: '11 points; needs at least 12' });
    const deadline = Date.now() + 60_000;
    let batch: Record<string, any>;
    do {
      batch = (await system.api.inject({ method: 'GET', url: `/v1/batches/${batchId}` })).json();
      if (batch.state === 'completed') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() < deadline);
    expect(batch).toMatchObject({ state: 'completed', architecture: 'auto', counts: { completed: 3 } });
    for (const child of batch.series) {
      expect(child.method).toMatch(/^auto: /);
      expect(child.skill).toMatchObject({ method: 'nested-backtest', horizon: 10 });
      expectOrderedBands(child);
    }
  });
});
