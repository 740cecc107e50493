import { mkdtempSync, rmSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseApiKeys, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';
import { createKeyMatcher } from './plugins/auth.ts';
import { clientBucket, isLoopback } from './plugins/client-address.ts';

const keys = { read: 'read-key-0123456789', submit: 'submit-key-0123456789', admin: 'admin-key-0123456789', bare: 'bare-key-0123456789' };
const API_KEYS = `read:${keys.read},submit:${keys.submit},admin:${keys.admin},${keys.bare}`;
const FAILURES_PER_MINUTE = 3;
let redis: TestRedis;
let storeDir: string;
let app: FastifyInstance;
const logLines: string[] = [];
const apps: FastifyInstance[] = [];

/** Another app on the same Redis and services (a replica), with its own configuration. */
async function buildApp(env: Record<string, string>, logger?: Parameters<typeof buildServer>[0]['logger']): Promise<FastifyInstance> {
  const config = parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, ...env });
  const built = await buildServer({ config, logger, ...(apps[0] ? { services: apps[0].services } : {}) });
  await built.ready();
  apps.push(built);
  return built;
}

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = mkdtempSync(path.join(tmpdir(), 'mlq-auth-'));
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = await buildApp({ API_KEYS, RATE_LIMIT_PER_MINUTE: '5', AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE) }, { level: 'trace', stream });
});
afterAll(async () => {
  // The first app owns the shared services: close it last.
  for (const built of apps.reverse()) await built.close();
  await redis?.close();
  if (storeDir) rmSync(storeDir, { recursive: true, force: true });
});

/** An IPv4 address of this machine that is not loopback, to reach a socket from "another machine". */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && i.family === 'IPv4')?.address;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}` });
/** Each test that presents wrong keys does it from an address of its own (the failure limit is per address). */
const from = (n: number) => `198.51.100.${n}`;

describe('API keys', () => {
  it('match in constant time and carry their scope', () => {
    const matches = createKeyMatcher(parseApiKeys(API_KEYS));
    expect(matches(keys.read)).toBe('read');
    expect(matches(keys.admin)).toBe('admin');
    expect(matches(keys.bare)).toBe('submit');
    expect(matches(`${keys.admin}x`)).toBeUndefined();
    expect(matches('')).toBeUndefined();
  });

  it('are needed by every route but the public ones: 401 for a missing or wrong key', async () => {
    const none = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json().message).toMatch(/Authorization: Bearer/);
    expect((await app.inject({ method: 'GET', url: '/v1/models', headers: bearer(`${keys.read}x`), remoteAddress: from(1) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'POST', url: '/v1/train', headers: { authorization: `Token ${keys.admin}` }, payload: {} })).statusCode).toBe(401);
    // An unknown URL says nothing to a caller without a key.
    expect((await app.inject({ method: 'GET', url: '/v2/anything' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/v2/anything', headers: bearer(keys.read) })).statusCode).toBe(404);
    for (const key of Object.values(keys)) expect((await app.inject({ method: 'GET', url: '/v1/models', headers: bearer(key) })).statusCode).toBe(200);
  });

  it('refuse the encoded spellings of the issue: the route decides, not the URL text', async () => {
    const upload = { 'content-type': 'text/csv' };
    const attempts = [
      { method: 'GET', url: '/%761/jobs' },
      { method: 'POST', url: '/%76%31/train', payload: {} },
      { method: 'POST', url: '/%76%31/datasets?name=x.csv', payload: 'date,value\n2020-01-01,1\n', headers: upload },
      { method: 'GET', url: '/%61dmin/queues/api/queues' },
      { method: 'PUT', url: '/admin/queues/api/queues/batch/pause' },
      { method: 'PUT', url: '/%61dmin/queues/api/queues/batch/pause' },
    ] as const;
    for (const attempt of attempts) expect((await app.inject(attempt)).statusCode, `${attempt.method} ${attempt.url}`).toBe(401);
    expect(await app.services.queues.batch.isPaused()).toBe(false);
  });

  it('carry scopes: read < submit < admin, a bare key being submit', async () => {
    const train = (key: string) => app.inject({ method: 'POST', url: '/v1/train', headers: bearer(key), payload: {} });
    const denied = await train(keys.read);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toBe('this route needs an API key with scope submit; this API key has scope read');
    // Past authorization, the body's validation answers.
    for (const key of [keys.submit, keys.bare, keys.admin]) expect((await train(key)).statusCode).toBe(400);
  });
});

describe('the dashboard', () => {
  it('asks browsers for Basic auth and lets any key read it', async () => {
    const none = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic/);
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic('wrong'), remoteAddress: from(2) })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/admin/queues', headers: basic(keys.read) })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: basic(keys.read) })).statusCode).toBe(200);
  });

  it('is read-only without an admin key, and acts for an admin key', async () => {
    const queuesFor = async (key: string) =>
      (await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: bearer(key) })).json().queues as Array<{ name: string; readOnlyMode: boolean }>;
    for (const key of [keys.read, keys.submit, keys.bare]) {
      expect((await queuesFor(key)).every((queue) => queue.readOnlyMode)).toBe(true);
      const pause = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/batch/pause', headers: bearer(key) });
      expect(pause.statusCode).toBe(403);
      expect(pause.json().message).toMatch(/scope admin/);
    }
    expect(await app.services.queues.batch.isPaused()).toBe(false);
    const adminView = await queuesFor(keys.admin);
    expect(adminView.length).toBeGreaterThan(0);
    expect(adminView.every((queue) => !queue.readOnlyMode)).toBe(true);
    expect((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/batch/pause', headers: bearer(keys.admin) })).statusCode).toBe(200);
    expect(await app.services.queues.batch.isPaused()).toBe(true);
    expect((await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/batch/resume', headers: basic(keys.admin) })).statusCode).toBe(200);
    expect(await app.services.queues.batch.isPaused()).toBe(false);
  });

  it('stays read-only for every key with BOARD_READ_ONLY', async () => {
    const readOnly = await buildApp({ API_KEYS, BOARD_READ_ONLY: 'true' });
    const queues = await readOnly.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: bearer(keys.admin) });
    expect(queues.json().queues.every((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(true);
    for (const url of ['/admin/queues/api/queues/pause', '/admin/queues/api/queues/train/clean/completed', '/admin/queues/api/queues/train/pause']) {
      expect((await readOnly.inject({ method: 'PUT', url, headers: bearer(keys.admin) })).statusCode, url).toBe(405);
      expect((await readOnly.inject({ method: 'PUT', url })).statusCode, url).toBe(401);
    }
    expect(await app.services.queues.train.isPaused()).toBe(false);
  });
});

describe('limits', () => {
  it('rate-limit every non-public route per key with a 429 that says when to retry', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(keys.read) })).statusCode);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    const limited = await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(keys.read) });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().message).toMatch(/rate limit/i);
    expect(limited.headers['retry-after']).toBeDefined();
    // The same route spelled otherwise is the same route, with the same budget.
    expect((await app.inject({ method: 'GET', url: '/v1/%64atasets', headers: bearer(keys.read) })).statusCode).toBe(429);
    // Another key has its own budget, and public routes are never limited.
    expect((await app.inject({ method: 'GET', url: '/v1/datasets', headers: bearer(keys.submit) })).statusCode).toBe(200);
    for (let i = 0; i < 7; i++) expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('answer 429 to a client past AUTH_FAILURES_PER_MINUTE wrong keys, on every replica, right key or not', async () => {
    const guesser = from(10);
    const guess = (target: FastifyInstance, key: string, remoteAddress = guesser) => target.inject({ method: 'GET', url: '/v1/models', headers: bearer(key), remoteAddress });
    for (let i = 0; i < FAILURES_PER_MINUTE; i++) expect((await guess(app, `wrong-key-guess-${i}`)).statusCode).toBe(401);
    const blocked = await guess(app, 'wrong-key-guess-next');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(blocked.json().message).toMatch(/too many wrong API keys/);
    // A right guess now tells the guesser nothing.
    expect((await guess(app, keys.admin)).statusCode).toBe(429);
    // Counted in Redis: another replica, with no failure counted locally, refuses the guesser too.
    const replica = await buildApp({ API_KEYS, AUTH_FAILURES_PER_MINUTE: String(FAILURES_PER_MINUTE) });
    expect((await guess(replica, keys.admin)).statusCode).toBe(429);
    // Another client, and IPv4 spelled as IPv4-mapped IPv6 is the same client.
    expect((await guess(replica, keys.admin, from(11))).statusCode).toBe(200);
    expect((await guess(replica, keys.admin, `::ffff:${guesser}`)).statusCode).toBe(429);
    // Public routes stay open to it.
    expect((await app.inject({ method: 'GET', url: '/readyz', remoteAddress: guesser })).statusCode).toBe(200);
  });

  it('count an IPv6 client by its /64', () => {
    expect(clientBucket('2001:db8:1:2:aaaa::1')).toBe(clientBucket('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(clientBucket('2001:db8:1:2::1')).not.toBe(clientBucket('2001:db8:1:3::1'));
    expect(clientBucket('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });
});

describe('protected mode: no keys configured', () => {
  it('serves loopback clients only, and tells others how to set keys', async () => {
    const open = await buildApp({});
    for (const remoteAddress of ['127.0.0.1', '127.0.0.53', '::1', '::ffff:127.0.0.1']) {
      expect((await open.inject({ method: 'GET', url: '/v1/models', remoteAddress })).statusCode, remoteAddress).toBe(200);
    }
    for (const remoteAddress of ['203.0.113.5', '10.0.0.1', '::2', '::ffff:10.0.0.1', '2001:db8::1']) {
      const refused = await open.inject({ method: 'GET', url: '/v1/models', remoteAddress });
      expect(refused.statusCode, remoteAddress).toBe(403);
      expect(refused.json().message).toMatch(/API_KEYS=admin:.*Authorization: Bearer <key>.*ALLOW_UNAUTHENTICATED=true/);
    }
    // A client cannot claim to be local.
    const forwarded = await open.inject({ method: 'GET', url: '/v1/models', remoteAddress: '203.0.113.5', headers: { 'x-forwarded-for': '127.0.0.1', host: 'localhost' } });
    expect(forwarded.statusCode).toBe(403);
    for (const url of ['/healthz', '/readyz', '/metrics', '/metrics/queues', '/docs/json']) {
      expect((await open.inject({ method: 'GET', url, remoteAddress: '203.0.113.5' })).statusCode, url).toBe(200);
    }
    // The dashboard is the operator's on its own machine.
    expect((await open.inject({ method: 'PUT', url: '/admin/queues/api/queues/predict/pause' })).statusCode).toBe(200);
    expect((await open.inject({ method: 'PUT', url: '/admin/queues/api/queues/predict/resume' })).statusCode).toBe(200);
    expect((await open.inject({ method: 'GET', url: '/admin/queues/api/queues', remoteAddress: '203.0.113.5' })).statusCode).toBe(403);
  });

  it('serves everyone with ALLOW_UNAUTHENTICATED, but only loopback or an admin key may act as admin', async () => {
    const opened = await buildApp({ ALLOW_UNAUTHENTICATED: 'true' });
    const remoteAddress = '203.0.113.6';
    expect((await opened.inject({ method: 'GET', url: '/v1/models', remoteAddress })).statusCode).toBe(200);
    expect((await opened.inject({ method: 'POST', url: '/v1/train', payload: {}, remoteAddress })).statusCode).toBe(400);
    const queues = await opened.inject({ method: 'GET', url: '/admin/queues/api/queues', remoteAddress });
    expect(queues.json().queues.every((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(true);
    const pause = await opened.inject({ method: 'PUT', url: '/admin/queues/api/queues/predict/pause', remoteAddress });
    expect(pause.statusCode).toBe(403);
    expect(pause.json().message).toMatch(/set API_KEYS with an admin: key/);
    expect(await app.services.queues.predict.isPaused()).toBe(false);
  });

  it.skipIf(!externalAddress)("decides on the real socket: loopback served, this machine's network address refused", async () => {
    const open = await buildApp({});
    await open.listen({ host: '0.0.0.0', port: 0 });
    const { port } = open.server.address() as AddressInfo;
    const get = async (host: string, url: string, headers: Record<string, string> = {}) => (await fetch(`http://${host}:${port}${url}`, { headers })).status;
    expect(await get('127.0.0.1', '/v1/models')).toBe(200);
    expect(await get(externalAddress!, '/v1/models')).toBe(403);
    expect(await get(externalAddress!, '/v1/models', { 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1' })).toBe(403);
    expect(await get(externalAddress!, '/healthz')).toBe(200);
  });

  it('recognises loopback addresses by the socket, in every spelling', () => {
    expect(['127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['128.0.0.1', '::', '::2', '1::1', '::ffff:10.0.0.1', 'localhost', '', undefined].some(isLoopback)).toBe(false);
  });
});

describe('logs', () => {
  it('never carry a key, even when a line includes the request headers', async () => {
    await app.inject({ method: 'GET', url: '/admin/queues', headers: basic(keys.admin) });
    app.log.info({ req: { headers: bearer(keys.submit) }, headers: bearer(keys.read) }, 'a line that includes headers');
    expect(logLines.some((line) => line.includes('a line that includes headers') && line.includes('[redacted]'))).toBe(true);
    // Wrong keys are logged as such, by client, not by value.
    expect(logLines.some((line) => line.includes('wrong API key'))).toBe(true);
    for (const line of logLines) {
      for (const key of Object.values(keys)) expect(line).not.toContain(key);
      expect(line).not.toContain('wrong-key-guess');
      expect(line).not.toContain(Buffer.from(`admin:${keys.admin}`).toString('base64'));
    }
  });
});
