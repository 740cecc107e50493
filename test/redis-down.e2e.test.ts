import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { buildServer } from '../apps/api/src/server.ts';
import { startRedisServer } from './harness/redis.ts';

let api: FastifyInstance;
let redis: Awaited<ReturnType<typeof startRedisServer>>;

beforeAll(async () => {
  redis = await startRedisServer();
  api = await buildServer({ config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: 'down', MODEL_STORE_DIR: mkdtempSync(path.join(tmpdir(), 'mlq-down-')) }) });
  await api.ready();
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

describe('Redis down', () => {
  it('answers 503 within two seconds, never hangs, and recovers', async () => {
    expect((await api.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    await redis.stop();

    for (const request of [
      { method: 'GET' as const, url: '/readyz' },
      { method: 'POST' as const, url: '/v1/train', payload: { kind: 'price', architecture: 'linear', dataset: 'crypto-top100', series: 'Bitcoin' } },
      { method: 'POST' as const, url: '/v1/predict', payload: { model: 'anything' } },
      { method: 'GET' as const, url: '/v1/jobs/tr_00000000000000000000' },
      { method: 'GET' as const, url: '/v1/models' },
    ]) {
      const started = Date.now();
      const response = await api.inject(request);
      expect(response.statusCode, `${request.url}: ${response.body}`).toBe(503);
      expect(response.json().message).toMatch(/Redis is unreachable/);
      expect(Date.now() - started).toBeLessThan(2000);
    }
    expect((await api.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);

    redis = await startRedisServer(Number(new URL(redis.url).port));
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < deadline && (status = (await api.inject({ method: 'GET', url: '/readyz' })).statusCode) !== 200) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });
});
