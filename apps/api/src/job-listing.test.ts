import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiConfigSchema, CANCELLED_REASON, createRedisConnection, parseConfig } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';
import { MAX_LIST_OFFSET } from './job-listing.ts';

let redis: TestRedis;
let app: FastifyInstance;
let storeDir: string;
let stats: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-listing-'));
  app = await buildServer({ config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, RATE_LIMIT_PER_MINUTE: '0' }) });
  await app.ready();
  stats = new Redis(redis.url);
});
afterAll(async () => {
  stats?.disconnect();
  await app?.close();
  await redis?.close();
  await rm(storeDir, { recursive: true, force: true });
});

const list = async (query: string) => {
  const response = await app.inject({ method: 'GET', url: `/v1/jobs?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as { jobs: Array<{ id: string; state: string; queue: string; createdAt: string }>; limit: number; offset: number; next: number | null };
};

/** Calls of each Redis command so far (INFO commandstats). */
async function commandCounts(): Promise<Record<string, number>> {
  const info = await stats.info('commandstats');
  return Object.fromEntries([...info.matchAll(/^cmdstat_(\w+(?:\|\w+)?):calls=(\d+)/gm)].map((m) => [m[1]!, Number(m[2])]));
}

const id = (prefix: 'tr' | 'pr', n: number) => `${prefix}_${String(n).padStart(20, '0')}`;

describe('GET /v1/jobs', () => {
  it('pages newest first across queues with next, and tells cancelled from failed', async () => {
    const { train, predict } = app.services.queues;
    for (let n = 1; n <= 12; n++) {
      await (n % 3 === 0 ? predict : train).add('job', { n }, { jobId: id(n % 3 === 0 ? 'pr' : 'tr', n), timestamp: 1_000_000 + n });
    }
    // Two finish: one completes, one is cancelled (a failure with the cancelled reason).
    const worker = new Worker('train', null, { connection: createRedisConnection(redis.url, 'worker'), prefix: redis.prefix });
    const first = (await worker.getNextJob('t1', { block: false }))!;
    await first.moveToCompleted({ ok: true }, 't1', false);
    const second = (await worker.getNextJob('t2', { block: false }))!;
    await second.moveToFailed(new Error(CANCELLED_REASON), 't2', false);
    await worker.close();

    const seen: string[] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const page = await list(`limit=5&offset=${offset}`);
      seen.push(...page.jobs.map((j) => j.id));
      offset = page.next;
    }
    const expected = Array.from({ length: 12 }, (_, i) => 12 - i).map((n) => id(n % 3 === 0 ? 'pr' : 'tr', n));
    expect(seen).toEqual(expected);

    expect((await list('state=cancelled')).jobs.map((j) => j.id)).toEqual([second.id]);
    expect((await list('state=failed')).jobs).toEqual([]);
    expect((await list('state=completed')).jobs.map((j) => [j.id, j.state])).toEqual([[first.id, 'completed']]);
    expect((await list('queue=predict&limit=2')).jobs.map((j) => j.id)).toEqual([id('pr', 12), id('pr', 9)]);
    const last = await list('queue=predict&limit=2&offset=2');
    expect(last.jobs.map((j) => j.id)).toEqual([id('pr', 6), id('pr', 3)]);
    await train.obliterate({ force: true });
    await predict.obliterate({ force: true });
  });

  it('pages cancelled and failed jobs from the filtered list, however they interleave', async () => {
    const { batch } = app.services.queues;
    const worker = new Worker('batch', null, { connection: createRedisConnection(redis.url, 'worker'), prefix: redis.prefix });
    const cancelled: string[] = [];
    for (let n = 0; n < 30; n++) {
      // The five oldest are cancelled; the newest 25 failed for other reasons.
      const jobId = `bt_${String(n).padStart(20, '0')}`;
      await batch.add('batch', {}, { jobId, timestamp: 3_000_000 + n });
      const job = (await worker.getNextJob(`t${n}`, { block: false }))!;
      await job.moveToFailed(new Error(n < 5 ? CANCELLED_REASON : 'broke'), `t${n}`, false);
      if (n < 5) cancelled.unshift(jobId);
    }
    await worker.close();
    const pages = async (state: string) => {
      const ids: string[] = [];
      let offset: number | null = 0;
      while (offset !== null) {
        const page = await list(`queue=batch&state=${state}&limit=4&offset=${offset}`);
        ids.push(...page.jobs.map((j) => j.id));
        offset = page.next;
      }
      return ids;
    };
    expect(await pages('cancelled')).toEqual(cancelled);
    const failed = await pages('failed');
    expect(failed).toHaveLength(25);
    expect(failed.some((id) => cancelled.includes(id))).toBe(false);
    await batch.obliterate({ force: true });
  });

  it('caps the offset with a 400 that says how to narrow', async () => {
    expect((await list(`offset=${MAX_LIST_OFFSET}`)).next).toBeNull();
    const response = await app.inject({ method: 'GET', url: `/v1/jobs?offset=${MAX_LIST_OFFSET + 1}` });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ field: 'querystring/offset', message: `querystring/offset must be <= ${MAX_LIST_OFFSET}` });
  });

  it("loads only the page's jobs whole, however many Redis retains", async () => {
    const { train } = app.services.queues;
    const retained = 3000;
    await train.addBulk(Array.from({ length: retained }, (_, n) => ({ name: 'job', data: { text: 'x'.repeat(1000) }, opts: { jobId: id('tr', n), timestamp: 2_000_000 + n } })));
    const before = await commandCounts();
    const page = await list('queue=train&state=waiting&limit=10&offset=990');
    const after = await commandCounts();
    expect(page.jobs.map((j) => j.id)).toEqual(Array.from({ length: 10 }, (_, i) => id('tr', retained - 1 - 990 - i)));
    expect(page.next).toBe(1000);
    const calls = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    // Whole jobs (HGETALL) for the page only; creation times (HMGET) for the window only.
    expect(calls('hgetall')).toBeLessThanOrEqual(10);
    expect(calls('hmget')).toBeLessThanOrEqual(1000);
    expect(calls('hgetall') + calls('hmget')).toBeLessThan(retained);
    await train.obliterate({ force: true });
  });
});
