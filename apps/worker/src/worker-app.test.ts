import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue, QueueEvents } from 'bullmq';
import * as tf from '@tensorflow/tfjs-core';
import { createJobId, jobCatalog, ModelRegistry, UsageIndex, type NewModelRecord, type PricePredictResult as PredictResult, type TrainResult } from '@mlq/jobs';
import { freePort } from '../../../test/harness/redis.ts';
import { startInProcessWorker, type InProcessWorker } from './testing/in-process-worker.ts';
import type { WorkerApp } from './worker-app.ts';

let worker: InProcessWorker;
let app: WorkerApp;
let queues: { train: Queue; predict: Queue };
let events: { train: QueueEvents; predict: QueueEvents };

beforeAll(async () => {
  worker = await startInProcessWorker({ METRICS_PORT: String(await freePort()) });
  ({ app, queues, events } = worker);
});
afterAll(() => worker?.close());

describe('worker in process', () => {
  it('leaks no tensors across a training and 100 predictions, and serves them from the cache', async () => {
    const baseline = tf.memory().numTensors;
    const train = await queues.train.add(
      'train',
      { kind: 'price', architecture: 'lstm', dataset: 'vega-stocks', series: 'AAPL', params: { window: 6, units1: 4, units2: 4, epochs: 2, batchSize: 16 }, horizon: 3 },
      { ...jobCatalog.train.options, jobId: createJobId('train') },
    );
    const trained = (await train.waitUntilFinished(events.train, 60_000)) as TrainResult;
    const withModel = tf.memory().numTensors;
    expect(withModel).toBeGreaterThan(baseline); // the trained model stays hot

    const results: PredictResult[] = [];
    for (let i = 0; i < 100; i++) {
      const job = await queues.predict.add('predict', { model: trained.modelId, horizon: 3 }, { jobId: createJobId('predict') });
      results.push((await job.waitUntilFinished(events.predict, 30_000)) as PredictResult);
    }
    expect(results.every((r) => r.cached && r.forecast.length === 3)).toBe(true);
    expect(new Set(results.map((r) => JSON.stringify(r.forecast))).size).toBe(1);
    expect(tf.memory().numTensors).toBe(withModel);
    expect(app.context.cache.stats()).toMatchObject({ hits: 100, entries: 1 });

    app.context.cache.clear();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('exposes Prometheus metrics with real values: durations, failures, cache, tfjs memory, backend', async () => {
    const bad = await queues.predict.add('predict', { model: 'no-such-model' }, { jobId: createJobId('predict'), attempts: 1 });
    await expect(bad.waitUntilFinished(events.predict, 30_000)).rejects.toThrow('model not found: no-such-model');
    const text = await (await fetch(`http://127.0.0.1:${app.metricsPort}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"=,]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('mlq_job_duration_seconds_count{queue="train",name="train",outcome="completed"}')).toBe(1);
    expect(value('mlq_job_duration_seconds_count{queue="predict",name="predict",outcome="completed"}')).toBe(100);
    expect(value('mlq_job_failures_total{queue="predict",name="predict",reason="invalid_input"}')).toBe(1);
    expect(value('mlq_model_cache_hits_total')).toBe(100);
    expect(value('mlq_model_cache_bytes')).toBe(0); // cleared by the test above
    expect(value('mlq_tfjs_tensors')).toBe(tf.memory().numTensors);
    expect(text).toMatch(/^mlq_tfjs_backend_info\{backend="(wasm|cpu|tensorflow)",package="@tensorflow\/[^"]+",gpu="(true|false)"\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${app.metricsPort}/healthz`)).status).toBe(200);
  });

  it('loads a model trained elsewhere from the store on a miss', async () => {
    const { models } = await app.context.models.list({ offset: 0, limit: 1 });
    const job = await queues.predict.add('predict', { model: models[0]!.name, horizon: 2 }, { jobId: createJobId('predict') });
    const result = (await job.waitUntilFinished(events.predict, 30_000)) as PredictResult;
    expect(result.cached).toBe(false);
    expect(result.forecast).toHaveLength(2);
  });

  it('predicts by name with the version another process registered or deleted just before', async () => {
    const { models } = await app.context.models.list({ offset: 0, limit: 1 });
    const { version: _version, createdAt: _createdAt, ...trained } = models[0]!;
    // Another process: its own connection, registering records that point at the trained weights.
    const registry = new ModelRegistry(worker.connection, worker.redis.prefix);
    const usage = new UsageIndex(worker.connection, worker.redis.prefix);
    const register = (id: string) => registry.register({ ...trained, id, name: 'refs' } as NewModelRecord);
    const byName = async () => {
      const job = await queues.predict.add('predict', { model: 'refs', horizon: 2 }, { jobId: createJobId('predict'), attempts: 1 });
      return ((await job.waitUntilFinished(events.predict, 30_000)) as PredictResult).modelId;
    };
    const v1 = await register('m_refs1');
    expect(await byName()).toBe(v1.id);
    expect(await byName()).toBe(v1.id);
    expect((await app.context.references.resolve('refs')).cached).toBe(true);
    const v2 = await register('m_refs2');
    expect(await byName()).toBe(v2.id);
    await usage.deleteModelRecords([v2.id]);
    expect(await byName()).toBe(v1.id);
    await usage.deleteModelRecords([v1.id]);
    await expect(byName()).rejects.toThrow('model not found: refs');
  });
});
