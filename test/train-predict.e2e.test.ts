import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSeasonalSeries } from '@mlq/models';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';
import { toCoinCsv } from './harness/csv.ts';
import type { WorkerProcess } from './harness/processes.ts';

const tinyLstm = { window: 12, units1: 8, units2: 8, epochs: 4, batchSize: 32, dropout: 0.1 };

let system: TestSystem;
let worker: WorkerProcess;

beforeAll(async () => {
  system = await startTestSystem({ workers: 0 });
  worker = await system.startWorker();
});
afterAll(async () => system?.close());

async function uploadSeries(name: string, length = 240): Promise<string> {
  const closes = generateSeasonalSeries({ length, period: 24, amplitude: 40, noise: 4, trend: 0.2, level: 1200, seed: 7 });
  const response = await system.api.inject({
    method: 'POST',
    url: `/v1/datasets?name=${name}.csv`,
    headers: { 'content-type': 'text/csv' },
    payload: toCoinCsv(closes),
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id as string;
}

describe('upload → train → predict', () => {
  it('trains an LSTM with visible progress, registers it, and forecasts with wait', async () => {
    const datasetId = await uploadSeries('seasonal');
    const dataset = (await system.api.inject({ method: 'GET', url: `/v1/datasets/${datasetId}` })).json();
    expect(dataset.summary.series).toEqual([expect.objectContaining({ name: 'seasonal', rows: 240, from: '2016-01-01' })]);

    const train = await system.api.inject({
      method: 'POST',
      url: '/v1/train',
      payload: { kind: 'price', architecture: 'lstm', dataset: datasetId, series: 'seasonal', name: 'seasonal-lstm', params: tinyLstm },
    });
    expect(train.statusCode, train.body).toBe(202);
    const { jobId } = train.json();

    const progress: Array<Record<string, number>> = [];
    const job = await pollJob(system.api, jobId, finished, {
      onView: (view) => view.progress && typeof view.progress === 'object' && progress.push(view.progress),
    });
    expect(job.state, job.error).toBe('completed');
    expect(job.progress).toMatchObject({ epoch: 4, epochs: 4 });
    expect(Number.isFinite(job.progress.loss)).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(job.result).toMatchObject({ name: 'seasonal-lstm', version: 1, architecture: 'lstm', epochs: 4 });
    for (const baseline of ['model', 'naive', 'linear']) expect(Number.isFinite(job.result.metrics[baseline].rmse)).toBe(true);

    const models = (await system.api.inject({ method: 'GET', url: '/v1/models?name=seasonal-lstm' })).json();
    expect(models.models.map((m: { id: string }) => m.id)).toEqual([job.result.modelId]);
    const latest = (await system.api.inject({ method: 'GET', url: '/v1/models/seasonal-lstm@latest' })).json();
    expect(latest.id).toBe(job.result.modelId);

    const predict = await system.api.inject({ method: 'POST', url: '/v1/predict?wait=30', payload: { model: 'seasonal-lstm', horizon: 7 } });
    expect(predict.statusCode, predict.body).toBe(200);
    const result = predict.json().result;
    expect(result.forecast).toHaveLength(7);
    expect(result.forecast.every(Number.isFinite)).toBe(true);
    expect(result.dates[0]).toBe('2016-08-28'); // the day after the last of 240 daily points from 2016-01-01
    expect(result.cached).toBe(true); // the training worker kept the model hot

    const again = await system.api.inject({ method: 'POST', url: '/v1/predict?wait=30', payload: { model: job.result.modelId, horizon: 7 } });
    expect(again.json().result.forecast).toEqual(result.forecast);

    const shortHistory = await system.api.inject({ method: 'POST', url: '/v1/predict', payload: { model: 'seasonal-lstm', history: [1, 2, 3] } });
    expect(shortHistory.statusCode).toBe(400);
    expect(shortHistory.json()).toMatchObject({ field: 'body/history', message: `history has 3 values; model ${job.result.modelId} needs at least its window, 12` });
  });

  it("streams a training's progress as server-sent events until it ends", async () => {
    const train = await system.api.inject({
      method: 'POST',
      url: '/v1/train',
      payload: { kind: 'price', architecture: 'lstm', dataset: 'vega-stocks', series: 'MSFT', params: { ...tinyLstm, window: 6, epochs: 5 }, horizon: 3 },
    });
    const { jobId } = train.json();
    const stream = await system.api.inject({ method: 'GET', url: `/v1/jobs/${jobId}/events` });
    expect(stream.headers['content-type']).toBe('text/event-stream');
    const events = stream.body
      .trim()
      .split('\n\n')
      .map((block) => {
        const [event, data] = block.split('\n');
        return { event: event!.replace('event: ', ''), data: JSON.parse(data!.replace('data: ', '')) };
      });
    expect(events[0]!.event).toBe('state');
    // Every epoch not yet done when the stream opened is streamed, in order.
    const epochs = events.filter((e) => e.event === 'progress').map((e) => e.data.epoch);
    expect(epochs.length).toBeGreaterThan(0); // the stream opened while the job was queued or early in training
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(epochs.at(-1)).toBe(5);
    expect(events.at(-1)).toMatchObject({ event: 'state', data: { id: jobId, state: 'completed' } });
    expect((await system.api.inject({ method: 'GET', url: '/v1/jobs/tr_00000000000000000000/events' })).statusCode).toBe(404);
  });

  it('answers 202 at once without wait, and the job completes', async () => {
    const model = (await system.api.inject({ method: 'GET', url: '/v1/models/seasonal-lstm' })).json();
    const history = Array.from({ length: 12 }, (_, i) => 1200 + 30 * Math.sin(i / 3));
    const response = await system.api.inject({ method: 'POST', url: '/v1/predict', payload: { model: model.id, history, horizon: 3 } });
    expect(response.statusCode).toBe(202);
    const job = await pollJob(system.api, response.json().jobId, finished);
    expect(job.state).toBe('completed');
    expect(job.result.forecast).toHaveLength(3);
    expect(job.result.dates).toBeNull();
  });

  it('trains the linear baseline as another registry name', async () => {
    const response = await system.api.inject({
      method: 'POST',
      url: '/v1/train',
      payload: { kind: 'price', architecture: 'linear', dataset: 'crypto-top100', series: 'Bitcoin' },
    });
    expect(response.statusCode, response.body).toBe(202);
    const job = await pollJob(system.api, response.json().jobId, finished);
    expect(job.state, job.error).toBe('completed');
    expect(job.result.name).toBe('crypto-top100-Bitcoin-linear');
    const predict = await system.api.inject({ method: 'POST', url: '/v1/predict?wait=30', payload: { model: 'crypto-top100-Bitcoin-linear' } });
    expect(predict.json().result.forecast).toHaveLength(10);
    expect(predict.json().result.dates[0]).toBe('2017-09-23');
  });
});

describe('cancellation', () => {
  it('removes a waiting job and stops an active training at the next batch', async () => {
    const long = { ...tinyLstm, epochs: 1000 };
    const payload = { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', params: long };
    const active = (await system.api.inject({ method: 'POST', url: '/v1/train', payload })).json().jobId as string;
    await pollJob(system.api, active, (job) => job.state === 'active' && job.progress?.epoch >= 1);

    // TRAIN_CONCURRENCY is 1: this one waits behind the active training.
    const waiting = (await system.api.inject({ method: 'POST', url: '/v1/train', payload })).json().jobId as string;
    const removed = await system.api.inject({ method: 'DELETE', url: `/v1/jobs/${waiting}` });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ id: waiting, state: 'removed' });
    expect((await system.api.inject({ method: 'GET', url: `/v1/jobs/${waiting}` })).statusCode).toBe(404);

    const cancelling = await system.api.inject({ method: 'DELETE', url: `/v1/jobs/${active}` });
    expect(cancelling.statusCode).toBe(202);
    const job = await pollJob(system.api, active, finished, { timeoutMs: 20_000 });
    expect(job.state).toBe('cancelled');
    expect(job.progress.epoch).toBeLessThan(1000);
    expect(job.attempts.made).toBe(1); // not retried

    const again = await system.api.inject({ method: 'DELETE', url: `/v1/jobs/${active}` });
    expect(again.statusCode).toBe(409);
    expect(worker.child.exitCode).toBeNull();
  });
});

describe('batch over the crypto data set', () => {
  it('runs one forecast per coin across the workers and gathers every result', async () => {
    const response = await system.api.inject({
      method: 'POST',
      url: '/v1/batches',
      payload: { dataset: 'crypto-top100', architecture: 'linear', horizon: 10 },
    });
    expect(response.statusCode, response.body).toBe(202);
    const { batchId, series, skipped } = response.json();
    expect(series).toBeGreaterThanOrEqual(75);
    for (const reason of Object.values(skipped)) expect(reason).toMatch(/points; needs at least 12/);

    const deadline = Date.now() + 90_000;
    let batch: Record<string, any>;
    do {
      batch = (await system.api.inject({ method: 'GET', url: `/v1/batches/${batchId}` })).json();
      if (batch.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < deadline);
    expect(batch.state).toBe('completed');
    expect(batch.series).toHaveLength(series);
    expect(batch.counts).toEqual({ completed: series });
    const bitcoin = batch.series.find((s: { series: string }) => s.series === 'Bitcoin');
    expect(bitcoin.forecast).toHaveLength(10);
    expect(bitcoin.dates[0]).toBe('2017-09-23');

    const parent = (await system.api.inject({ method: 'GET', url: `/v1/jobs/${batchId}` })).json();
    expect(Object.keys(parent.result.forecasts)).toHaveLength(series);
    expect(parent.result.failed).toEqual({});
    for (const forecast of Object.values(parent.result.forecasts) as Array<{ forecast: number[] }>) {
      expect(forecast.forecast.every(Number.isFinite)).toBe(true);
    }
  });
});
