import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Worker } from 'bullmq';
import { ApiConfigSchema, createRedisConnection, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';

let redis: TestRedis;
let app: FastifyInstance;

beforeAll(async () => {
  redis = await startTestRedis();
  app = await buildServer({ config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: mkdtempSync(path.join(tmpdir(), 'mlq-api-test-')) }) });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});

describe('the API surface', () => {
  it('probes answer', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready', redis: 'ok' });
  });

  it('publishes an OpenAPI document of every route, without the dashboard', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/v1/backtests',
        '/v1/batches',
        '/v1/batches/{id}',
        '/v1/datasets',
        '/v1/datasets/{id}',
        '/v1/datasets/{id}/rows',
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/events',
        '/v1/models',
        '/v1/models/{id}',
        '/v1/predict',
        '/v1/schedules',
        '/v1/schedules/{id}',
        '/v1/train',
      ].sort(),
    );
    const trainVariants = doc.paths['/v1/train'].post.requestBody.content['application/json'].schema.anyOf;
    const variant = (kind: string) =>
      trainVariants.find((v: { properties: { kind: { enum?: string[]; const?: string } } }) => (v.properties.kind.const ?? v.properties.kind.enum?.[0]) === kind);
    expect(variant('price').properties.params.properties.window.maximum).toBe(365);
    expect(variant('textgen').properties.params.properties.units.maximum).toBe(1024);
    expect(variant('seq2seq').properties.params.properties.probes.maxItems).toBe(10);
    expect(Object.keys(doc.paths['/v1/predict'].post.requestBody.content['application/json'].schema.properties)).toEqual(
      expect.arrayContaining(['model', 'horizon', 'seedText', 'temperature', 'message', 'strategy', 'beamWidth']),
    );
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });

  it('mounts Bull Board over every queue', async () => {
    const page = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    const queues = (await app.inject({ method: 'GET', url: '/admin/queues/api/queues' })).json();
    expect(queues.queues.map((q: { name: string }) => q.name).sort()).toEqual(['batch', 'predict', 'train']);
  });

  it('lists the built-in datasets under stable ids', async () => {
    const { datasets } = (await app.inject({ method: 'GET', url: '/v1/datasets' })).json();
    const crypto = datasets.find((d: { id: string }) => d.id === 'crypto-top100');
    expect(crypto.summary.seriesCount).toBeGreaterThanOrEqual(80);
    const stocks = datasets.find((d: { id: string }) => d.id === 'vega-stocks');
    expect(stocks.summary.series.map((s: { name: string }) => s.name)).toEqual(['AAPL', 'AMZN', 'GOOG', 'IBM', 'MSFT']);
  });

  it('exposes queue depths, and the runnable backlog that counts prioritized and due delayed jobs', async () => {
    const train = app.services.queues.train;
    await train.add('train', {}, { jobId: 'tr_00000000000000000001' });
    await train.add('train', {}, { jobId: 'tr_00000000000000000002', priority: 5 });
    await train.add('train', {}, { jobId: 'tr_00000000000000000003', delay: 1 });
    await train.add('train', {}, { jobId: 'tr_00000000000000000004', delay: 3_600_000 });
    await new Promise((r) => setTimeout(r, 20)); // the 1 ms delay has passed; no worker has promoted it
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(text).toMatch(/^mlq_queue_jobs\{queue="train",state="waiting"\} 1$/m);
    expect(text).toMatch(/^mlq_queue_jobs\{queue="train",state="prioritized"\} 1$/m);
    expect(text).toMatch(/^mlq_queue_jobs\{queue="train",state="delayed"\} 2$/m);
    expect(text).toMatch(/^mlq_queue_runnable_jobs\{queue="train"\} 3$/m);
    expect(text).toMatch(/^mlq_queue_runnable_jobs\{queue="predict"\} 0$/m);

    // An active job counts in the demand, so autoscaling never removes the worker running it.
    await train.add('train', {}, { jobId: 'tr_00000000000000000005' });
    const connection = createRedisConnection(redis.url, 'worker');
    const worker = new Worker('train', null, { connection, prefix: redis.prefix });
    const active = await worker.getNextJob('token-1', { block: false });
    expect(active?.id).toBe('tr_00000000000000000001');
    const loads = (await app.inject({ method: 'GET', url: '/metrics/queues' })).json();
    // Taking a job also promoted the due delayed one to the wait list.
    expect(loads.train).toEqual({ waiting: 2, prioritized: 1, delayedDue: 0, active: 1, runnable: 3, demand: 4 });
    expect(loads.predict).toEqual({ waiting: 0, prioritized: 0, delayedDue: 0, active: 0, runnable: 0, demand: 0 });
    expect(Object.keys(loads).sort()).toEqual(['batch', 'predict', 'train']);
    await worker.close();
    connection.disconnect();
    await train.obliterate({ force: true });
  });

  it('unknown routes are 404 with a message', async () => {
    const response = await app.inject({ method: 'GET', url: '/v2/nothing' });
    expect(response.statusCode).toBe(404);
    expect(response.json().message).toBe('no route GET /v2/nothing');
  });
});
