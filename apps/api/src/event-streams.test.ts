import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { ApiConfigSchema, createRedisConnection, parseConfig, TextStreamWriter } from '@mlq/jobs';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { parseServerSentEvents } from '../../../test/harness/sse.ts';
import { buildServer } from './server.ts';

let redis: TestRedis;
let storeDir: string;
let admin: Redis;
/** Short heartbeat and lifetime, three streams per client. */
let tight: { app: FastifyInstance; url: string };
/** Defaults, but room for many streams. */
let roomy: { app: FastifyInstance; url: string };

async function start(env: Record<string, string>) {
  const app = await buildServer({
    config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, RATE_LIMIT_PER_MINUTE: '0', ...env }),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url };
}

beforeAll(async () => {
  redis = await startTestRedis();
  storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-sse-'));
  admin = new Redis(redis.url);
  tight = await start({ SSE_HEARTBEAT_SECONDS: '1', SSE_MAX_SECONDS: '3', SSE_MAX_PER_CLIENT: '3' });
  roomy = await start({ SSE_MAX_PER_CLIENT: '50' });
});
afterAll(async () => {
  admin?.disconnect();
  await tight?.app.close();
  await roomy?.app.close();
  await redis?.close();
  await rm(storeDir, { recursive: true, force: true });
});

let counter = 0;
async function waitingTrainJob(): Promise<string> {
  const jobId = `tr_${String(++counter).padStart(20, '0')}`;
  await tight.app.services.queues.train.add('train', {}, { jobId });
  return jobId;
}

/** Reads a whole SSE response as text (it must end by itself). */
async function readAll(response: Response): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) text += decoder.decode(chunk, { stream: true });
  return text;
}

const until = async (condition: () => boolean | Promise<boolean>, what: string) => {
  // Generous: only bounds a hang, the condition usually holds within milliseconds.
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('job event streams', () => {
  it('send heartbeats, and end with a timeout event after SSE_MAX_SECONDS', async () => {
    const jobId = await waitingTrainJob();
    const response = await fetch(`${tight.url}/v1/jobs/${jobId}/events`);
    expect(response.status).toBe(200);
    const text = await readAll(response);
    expect(text.match(/^: heartbeat$/gm)?.length).toBeGreaterThanOrEqual(2);
    const events = parseServerSentEvents(text.replace(/^: heartbeat\n\n/gm, ''));
    expect(events[0]).toMatchObject({ event: 'state', data: { id: jobId, state: 'waiting' } });
    expect(events.at(-1)).toMatchObject({ event: 'timeout', data: { reconnect: true, location: `/v1/jobs/${jobId}/events` } });
  });

  it('answer 429 past the per-client cap, and free the place when a stream closes', async () => {
    const jobId = await waitingTrainJob();
    const aborts = Array.from({ length: 3 }, () => new AbortController());
    const open = await Promise.all(aborts.map((a) => fetch(`${tight.url}/v1/jobs/${jobId}/events`, { signal: a.signal })));
    expect(open.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await fetch(`${tight.url}/v1/jobs/${jobId}/events`);
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toMatch(/at most 3 per client/);
    // Another client is not affected (the API key id, else the address, is the client).
    expect(tight.app.services.streams.slots.count('ip:127.0.0.1')).toBe(3);

    aborts[0]!.abort();
    await until(() => tight.app.services.streams.slots.count('ip:127.0.0.1') === 2, 'the aborted stream to free its place');
    const again = new AbortController();
    expect((await fetch(`${tight.url}/v1/jobs/${jobId}/events`, { signal: again.signal })).status).toBe(200);
    for (const a of [...aborts.slice(1), again]) a.abort();
    await until(() => tight.app.services.streams.slots.count('ip:127.0.0.1') === 0, 'every place to be freed');
  });

  it('answer 404 for an unknown job, and end when the job is removed while streaming', async () => {
    expect((await fetch(`${tight.url}/v1/jobs/tr_99999999999999999999/events`)).status).toBe(404);
    const jobId = await waitingTrainJob();
    const response = await fetch(`${tight.url}/v1/jobs/${jobId}/events`);
    const body = readAll(response);
    await until(() => tight.app.services.streams.slots.count('ip:127.0.0.1') === 1, 'the stream to open');
    expect((await tight.app.inject({ method: 'DELETE', url: `/v1/jobs/${jobId}` })).json()).toEqual({ id: jobId, state: 'removed' });
    const events = parseServerSentEvents((await body).replace(/^: heartbeat\n\n/gm, ''));
    expect(events.map((e) => e.event)).toEqual(['state', 'removed']);
  });
});

describe('streamed text', () => {
  const clientNames = async () =>
    ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(`name=`))
      .map((line) => /name=(\S*)/.exec(line)![1]!);

  it('shares one Redis connection among many streams, each getting its own text and result', async () => {
    const { app, url } = roomy;
    await app.services.models.register({
      id: 'm_textgen_fixture',
      name: 'fixture',
      kind: 'textgen',
      architecture: 'gru',
      preset: 'default',
      vocabularySize: 10,
      dataset: 'd',
      params: {},
      metrics: {},
      artifactStore: 'fs',
      artifactPrefix: 'x',
      byteSize: 1,
      backend: 'cpu',
      trainJobId: 'tr_0',
    });
    const readersBefore = (await clientNames()).filter((n) => n === 'mlq-text-reader').length;
    const streams = 12;
    const responses = await Promise.all(
      Array.from({ length: streams }, () =>
        fetch(`${url}/v1/predict?stream=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'fixture', seedText: 'a' }) }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(streams).fill(202));
    const bodies = responses.map((r) => readAll(r));
    await until(() => app.services.streams.text.size === streams, 'every stream to be read');
    // One reader for all twelve (the tight app opened none): not one connection per stream.
    expect((await clientNames()).filter((n) => n === 'mlq-text-reader').length - readersBefore).toBe(1);

    // Play the worker: write each job's text, then complete it.
    const connection = createRedisConnection(redis.url, 'worker');
    const worker = new Worker('predict', null, { connection, prefix: redis.prefix });
    const ids: string[] = [];
    for (let i = 0; i < streams; i++) {
      const job = (await worker.getNextJob(`token-${i}`, { block: false }))!;
      ids.push(job.id!);
      const writer = new TextStreamWriter(connection, redis.prefix, job.id!, 1);
      await writer.start(1);
      writer.write(`text of ${job.id}`);
      await writer.end();
      await job.moveToCompleted({ text: `text of ${job.id}` }, `token-${i}`, false);
    }
    await worker.close();
    connection.disconnect();

    for (const body of bodies) {
      const events = parseServerSentEvents((await body).replace(/^: heartbeat\n\n/gm, ''));
      const jobId = events[0]!.data.jobId as string;
      expect(ids).toContain(jobId);
      expect(events.map((e) => e.event)).toEqual(['job', 'reset', 'text', 'result']);
      expect(events[2]!.data).toEqual({ text: `text of ${jobId}` });
      expect(events[3]!.data).toMatchObject({ id: jobId, state: 'completed' });
    }
    await until(() => app.services.streams.text.size === 0 && app.services.streams.slots.count('ip:127.0.0.1') === 0, 'the streams to close');
  });

  it('answers 429 before enqueueing when the client holds too many streams', async () => {
    const { app, url } = tight;
    await app.services.models.resolve('fixture');
    const before = await app.services.queues.predict.count();
    const aborts = Array.from({ length: 3 }, () => new AbortController());
    const open = await Promise.all(
      aborts.map((a) =>
        fetch(`${url}/v1/predict?stream=true`, {
          method: 'POST',
          signal: a.signal,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'fixture', seedText: 'a' }),
        }),
      ),
    );
    expect(open.map((r) => r.status)).toEqual([202, 202, 202]);
    const refused = await fetch(`${url}/v1/predict?stream=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fixture', seedText: 'a' }),
    });
    expect(refused.status).toBe(429);
    expect(await app.services.queues.predict.count()).toBe(before + 3);
    for (const a of aborts) a.abort();
    await until(() => app.services.streams.slots.count('ip:127.0.0.1') === 0 && app.services.streams.text.size === 0, 'the streams to close');
  });
});
