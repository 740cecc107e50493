import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';
import { createKeyMatcher } from './plugins/auth.ts';

const keys = ['k1-secret-alpha', 'k2-secret-beta'];
let redis: TestRedis;
let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  const config = parseConfig(ApiConfigSchema, {
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    MODEL_STORE_DIR: '/tmp/mlq-auth-test',
    API_KEYS: keys.join(','),
    BOARD_READ_ONLY: 'true',
    RATE_LIMIT_PER_MINUTE: '5',
  });
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = await buildServer({ config, logger: { level: 'trace', stream } });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await redis?.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` });

describe('API keys', () => {
  it('compares keys without early exit on the first difference', () => {
    const matches = createKeyMatcher(['abc', 'longer-key']);
    expect(matches('abc')).toBe(true);
    expect(matches('longer-key')).toBe(true);
    expect(matches('abd')).toBe(false);
    expect(matches('')).toBe(false);
  });

  it('protect /v1/* with 401 for a missing or wrong key', async () => {
    const none = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json().message).toMatch(/Authorization: Bearer/);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: bearer('k1-secret-alphx') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/train', headers: { authorization: 'Token k1-secret-alpha' }, payload: {} })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: bearer('k2-secret-beta') })).statusCode).toBe(200);
  });

  it('leave the probes and the API document open', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/docs/json' })).statusCode).toBe(200);
  });

  it('protect the dashboard (Basic auth for browsers) and keep it read-only', async () => {
    const none = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic('wrong') })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: basic('k1-secret-alpha') })).statusCode).toBe(200);
    const queues = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: bearer('k1-secret-alpha') });
    expect(queues.json().queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true);
    for (const url of ['/admin/queues/api/queues/pause', '/admin/queues/api/queues/train/clean/completed', '/admin/queues/api/queues/train/pause']) {
      const mutation = await app.inject({ method: 'PUT', url, headers: bearer('k1-secret-alpha') });
      expect(mutation.statusCode, url).toBe(405);
    }
  });

  it('rate-limit /v1/* per key with a 429 that says when to retry', async () => {
    const key = 'k1-secret-alpha';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(key) })).statusCode);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(key) });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().message).toMatch(/rate limit/i);
    expect(limited.headers['retry-after']).toBeDefined();
    // Another key has its own budget (k2 used 1 of 5 above), and probes are never limited.
    expect((await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer('k2-secret-beta') })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('never logs a key', () => {
    expect(logLines.length).toBeGreaterThan(0);
    for (const line of logLines) for (const key of keys) expect(line).not.toContain(key);
  });
});
