import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';
import { isFiniteDecimalNumeral } from './plugins/validation.ts';

let redis: TestRedis;
let app: FastifyInstance;
let storeDir: string;

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-numbers-'));
  app = await buildServer({ config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, RATE_LIMIT_PER_MINUTE: '0' }) });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
  await rm(storeDir, { recursive: true, force: true });
});

const json = (method: 'POST' | 'GET', url: string, body?: string) =>
  app.inject({ method, url, ...(body === undefined ? {} : { payload: body, headers: { 'content-type': 'application/json' } }) });

describe('strict numbers', () => {
  it('takes only finite decimal numerals from query strings', () => {
    for (const good of ['0', '20', '-3', '+4', '1.5', '.5', '2.']) expect(isFiniteDecimalNumeral(good), good).toBe(true);
    for (const bad of ['', ' ', 'Infinity', '-Infinity', 'NaN', '1e309', '1e3', '0x10', '0b1', ' 1', '1 ', '1_000', '9'.repeat(400)]) {
      expect(isFiniteDecimalNumeral(bad), bad).toBe(false);
    }
  });

  it('answers 400 naming the field for non-finite and out-of-range query numbers', async () => {
    for (const value of ['Infinity', '-Infinity', '1e309', 'NaN', '1e2', '0x10', '', '9'.repeat(400)]) {
      for (const name of ['limit', 'offset']) {
        const response = await json('GET', `/v1/jobs?${name}=${encodeURIComponent(value)}`);
        expect(response.statusCode, `${name}=${value}`).toBe(400);
        expect(response.json()).toMatchObject({ field: `querystring/${name}` });
      }
    }
    const range = await json('GET', '/v1/jobs?limit=101');
    expect(range.statusCode).toBe(400);
    expect(range.json()).toMatchObject({ field: 'querystring/limit', message: 'querystring/limit must be <= 100' });
    const wait = await json('POST', '/v1/predict?wait=Infinity', '{"model":"m"}');
    expect(wait.statusCode).toBe(400);
    expect(wait.json()).toMatchObject({ field: 'querystring/wait' });
    expect((await json('GET', '/v1/jobs?limit=5&offset=0')).statusCode).toBe(200);
  });

  it('takes no strings for numbers in JSON bodies, and no number JSON reads as Infinity', async () => {
    const cases: Array<[string, string, string]> = [
      ['/v1/predict', '{"model":"m","temperature":"Infinity"}', 'body/temperature'],
      ['/v1/predict', '{"model":"m","temperature":"1"}', 'body/temperature'],
      ['/v1/predict', '{"model":"m","lengthPenalty":1e309}', 'body/lengthPenalty'],
      ['/v1/predict', '{"model":"m","history":[1,2,1e309]}', 'body/history/2'],
      ['/v1/predict', '{"model":"m","history":[1,-1e999]}', 'body/history/1'],
      ['/v1/predict', '{"model":"m","length":"20"}', 'body/length'],
      ['/v1/train', '{"kind":"price","dataset":"crypto-top100","series":"Bitcoin","params":{"learningRate":1e309}}', 'body/params/learningRate'],
      ['/v1/train', '{"kind":"price","dataset":"crypto-top100","series":"Bitcoin","params":{"epochs":"3"}}', 'body/params/epochs'],
      ['/v1/train', '{"kind":"textgen","dataset":"d","params":{"validationSplit":"Infinity"}}', 'body/params/validationSplit'],
      ['/v1/batches', '{"dataset":"crypto-top100","horizon":1e309}', 'body/horizon'],
    ];
    for (const [url, body, field] of cases) {
      const response = await json('POST', url, body);
      expect(response.statusCode, body).toBe(400);
      expect(response.json(), body).toMatchObject({ field });
    }
  });
});
