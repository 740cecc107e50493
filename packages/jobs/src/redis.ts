import { Redis, type RedisOptions } from 'ioredis';

/**
 * Workers block on Redis and must ride out outages: `maxRetriesPerRequest: null` (BullMQ requires
 * it for workers). Producers (the API) must fail fast instead, so a request gets a 503 within a
 * second or two rather than hanging: no offline queue, one retry, short connect timeout.
 */
export function createRedisConnection(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = { lazyConnect: false, connectionName: `mlq-${role}` };
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          connectTimeout: 1_000,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
        };
  return new Redis(url, { ...common, ...roleOptions, ...extra });
}

/** Raised when Redis does not answer in time or is unreachable; the API answers 503. */
export class RedisUnavailableError extends Error {
  constructor(cause?: unknown) {
    super('Redis is unreachable', { cause });
    this.name = 'RedisUnavailableError';
  }
}

/** Bounds any Redis-backed promise: past `ms`, it rejects with RedisUnavailableError. */
export async function withRedisTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(new Error(`no answer in ${ms} ms`))), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (error) {
    if (isRedisConnectionError(error)) throw new RedisUnavailableError(error);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Errors ioredis raises when the server is down or the connection is closed. */
export function isRedisConnectionError(error: unknown): boolean {
  if (error instanceof RedisUnavailableError) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT' ||
    /Stream isn't writeable|Connection is closed|enableOfflineQueue|connect ETIMEDOUT|ECONNREFUSED/.test(error.message)
  );
}
