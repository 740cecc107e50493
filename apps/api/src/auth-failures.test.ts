import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { freePort, startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { AuthFailureLimiter } from './plugins/auth-failures.ts';

let redis: TestRedis;
let client: Redis;
let deadClient: Redis;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url);
  // Nothing listens there: every call fails at once.
  deadClient = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  deadClient.on('error', () => {});
});
afterAll(async () => {
  client?.disconnect();
  deadClient?.disconnect();
  await redis?.close();
});

describe('AuthFailureLimiter', () => {
  it('blocks a client for a minute from its first failure, shared through Redis', async () => {
    const options = { perMinute: 2, prefix: redis.prefix, redisTimeoutMs: 1000 };
    const one = new AuthFailureLimiter(client, options);
    const other = new AuthFailureLimiter(client, options);
    const start = 1_000_000_000_000;
    expect(await one.retryAfterSeconds('a', start)).toBe(0);
    await one.recordFailure('a', start);
    await other.recordFailure('a', start + 1000);
    // Neither replica saw two failures by itself; Redis did.
    expect(await one.retryAfterSeconds('a', start + 2000)).toBeGreaterThan(0);
    expect(await other.retryAfterSeconds('a', start + 2000)).toBeGreaterThan(0);
    expect(await one.retryAfterSeconds('b', start + 2000)).toBe(0);
    const ttl = await client.pttl(`${redis.prefix}:auth-failures:a`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('keeps counting locally while Redis does not answer, and says so once', async () => {
    const errors: unknown[] = [];
    const limiter = new AuthFailureLimiter(deadClient, { perMinute: 2, prefix: 'dead', redisTimeoutMs: 200, onRedisError: (error) => errors.push(error) });
    const now = Date.now();
    await limiter.recordFailure('c', now);
    expect(await limiter.retryAfterSeconds('c', now)).toBe(0);
    await limiter.recordFailure('c', now);
    expect(await limiter.retryAfterSeconds('c', now)).toBe(60);
    expect(await limiter.retryAfterSeconds('c', now + 59_500)).toBe(1);
    expect(await limiter.retryAfterSeconds('c', now + 60_000)).toBe(0);
    expect(errors).toHaveLength(1);
  });
});
