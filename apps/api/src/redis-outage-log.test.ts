import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { startRedisServer } from '../../../test/harness/redis.ts';
import { buildServer } from './server.ts';

/** The API's Redis outages go through its logger: once when Redis goes, once when it is back. */
const lines: Array<Record<string, unknown>> = [];
const stream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    done();
  },
});
let api: FastifyInstance;
let redis: Awaited<ReturnType<typeof startRedisServer>>;

async function waitForLine(msg: string, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (lines.filter((l) => l.msg === msg).length < count) {
    if (Date.now() > deadline) throw new Error(`no "${msg}" log line; lines: ${JSON.stringify(lines.slice(-5))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  redis = await startRedisServer();
  api = await buildServer({
    config: parseConfig(ApiConfigSchema, { REDIS_URL: redis.url, QUEUE_PREFIX: 'outage-log', RATE_LIMIT_PER_MINUTE: '0' }),
    logger: { level: 'info', stream },
  });
  await api.ready();
  // A queue-events connection too, as `?wait=` and SSE open one.
  api.services.queueEvents('train');
});
afterAll(async () => {
  await api?.close();
  await redis?.stop();
});

describe('API logs through a Redis outage', () => {
  it('logs "Redis unreachable" and "Redis back" once each, not per retry', async () => {
    const port = Number(new URL(redis.url).port);
    await redis.stop();
    await waitForLine('Redis unreachable', 1);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    redis = await startRedisServer(port);
    await waitForLine('Redis back', 1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(lines.filter((l) => l.msg === 'Redis unreachable').length).toBeLessThanOrEqual(2);
    expect(lines.find((l) => l.msg === 'Redis back')?.errorsSuppressed).toBeGreaterThan(0);
  });
});
