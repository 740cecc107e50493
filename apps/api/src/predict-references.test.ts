import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { ApiConfigSchema, ModelRegistry, parseConfig, type NewModelRecord } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';

/**
 * Two API replicas on one Redis, and models registered by a third process (a worker, here a bare
 * registry). A replica answers predictions from the model references it resolved before, yet a
 * version registered or a model deleted elsewhere is what its very next prediction gets.
 */
let redis: TestRedis;
let replicas: FastifyInstance[];
let connection: Redis;
let registry: ModelRegistry;

beforeAll(async () => {
  redis = await startTestRedis();
  const config = parseConfig(ApiConfigSchema, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    MODEL_STORE_DIR: mkdtempSync(path.join(tmpdir(), 'mlq-refs-')),
    RATE_LIMIT_PER_MINUTE: '0',
  });
  replicas = [await buildServer({ config }), await buildServer({ config })];
  await Promise.all(replicas.map((replica) => replica.ready()));
  connection = new Redis(redis.url);
  registry = new ModelRegistry(connection, redis.prefix);
});
afterAll(async () => {
  for (const replica of replicas ?? []) await replica.close();
  connection?.disconnect();
  await redis?.close();
});

const record = (id: string, name: string, kind: 'price' | 'textgen' = 'price'): NewModelRecord =>
  ({
    id,
    name,
    kind,
    architecture: kind === 'price' ? 'linear' : 'gru',
    dataset: 'crypto-top100',
    series: 'Bitcoin',
    params: {},
    metrics: {},
    horizon: 1,
    lastDate: null,
    dateStepDays: 1,
    artifactStore: 'file',
    artifactPrefix: `models/${id}`,
    byteSize: 1,
    backend: 'cpu',
    trainJobId: id,
  }) as NewModelRecord;

/** Enqueues a prediction (no worker runs it) and returns the model id the job was enqueued for, or the error status. */
async function predict(replica: FastifyInstance, payload: Record<string, unknown>): Promise<string | number> {
  const response = await replica.inject({ method: 'POST', url: '/v1/predict', payload });
  if (response.statusCode !== 202) return response.statusCode;
  const job = await replica.services.queues.predict.getJob(response.json().jobId);
  return job!.data.model as string;
}

/** Removes the waiting predictions, so their models can be deleted. */
const dropPredictions = () => replicas[0]!.services.queues.predict.obliterate({ force: true });

describe('model references cached by API replicas', () => {
  it('serve repeated predictions from memory', async () => {
    const v1 = await registry.register(record('m_mem', 'mem'));
    const [a] = replicas as [FastifyInstance];
    for (let i = 0; i < 3; i++) expect(await predict(a, { model: 'mem' })).toBe(v1.id);
    expect((await a.services.modelReferences.resolve('mem')).cached).toBe(true);
  });

  it('a new version registered elsewhere is what the next prediction of every replica gets', async () => {
    const [a, b] = replicas as [FastifyInstance, FastifyInstance];
    const v1 = await registry.register(record('m_btc1', 'btc'));
    expect(await predict(a, { model: 'btc' })).toBe(v1.id);
    expect(await predict(b, { model: 'btc@latest' })).toBe(v1.id);
    const v2 = await registry.register(record('m_btc2', 'btc'));
    expect(await predict(a, { model: 'btc' })).toBe(v2.id);
    expect(await predict(b, { model: 'btc@latest' })).toBe(v2.id);
    expect(await predict(b, { model: 'btc@1' })).toBe(v1.id);
  });

  it('a model deleted through another replica is not found by the next prediction', async () => {
    const [a, b] = replicas as [FastifyInstance, FastifyInstance];
    const v1 = await registry.register(record('m_eth1', 'eth'));
    const v2 = await registry.register(record('m_eth2', 'eth'));
    expect(await predict(a, { model: 'eth' })).toBe(v2.id);
    expect(await predict(a, { model: v1.id })).toBe(v1.id);
    await dropPredictions();
    expect((await b.inject({ method: 'DELETE', url: '/v1/models/eth@latest' })).statusCode).toBe(200);
    expect(await predict(a, { model: 'eth' })).toBe(v1.id);
    await dropPredictions();
    expect((await b.inject({ method: 'DELETE', url: '/v1/models/eth' })).statusCode).toBe(200);
    expect(await predict(a, { model: 'eth' })).toBe(404);
    expect(await predict(a, { model: v1.id })).toBe(404);
  });

  it('a refusal is never answered from memory: a name now of another kind takes that kind’s fields', async () => {
    const [a] = replicas as [FastifyInstance];
    const price = await registry.register(record('m_multi1', 'multi'));
    expect(await predict(a, { model: 'multi', horizon: 1 })).toBe(price.id);
    const text = await registry.register(record('m_multi2', 'multi', 'textgen'));
    expect(await predict(a, { model: 'multi', seedText: 'To be', length: 5 })).toBe(text.id);
    expect(await predict(a, { model: 'multi', horizon: 1 })).toBe(400);
  });
});
