import { MlqError } from '@mlq/specs';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * Workers block on Redis and must ride out outages: `maxRetriesPerRequest: null` (BullMQ requires
 * it for workers). Producers (the API) must fail fast instead, so a request gets a 503 within a
 * second or two rather than hanging: no offline queue, one retry, short connect timeout.
 */
export function createRedisConnection(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}, outages?: RedisOutageReporter): Redis {
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
  const redis = new Redis(url, { ...common, ...roleOptions, ...extra });
  outages?.watch(redis);
  return redis;
}

/** The two calls of a pino logger the outage reporter makes (so this package needs no pino). */
export interface OutageLogger {
  warn(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * One log line when Redis becomes unreachable and one when it is back, for every connection of a
 * process together, instead of ioredis' "[ioredis] Unhandled error event" stack on stderr for every
 * retry of every connection (an 'error' listener is what silences those). Connections made by
 * BullMQ itself (a worker's blocking connection) report through the worker's 'error' event: pass
 * those errors to `error()`.
 */
export class RedisOutageReporter {
  private down = false;
  private since = 0;
  private suppressed = 0;

  constructor(private readonly log: OutageLogger) {}

  /** Listens to a connection's errors and readiness. */
  watch(redis: Redis): void {
    redis.on('error', (error: Error) => this.error(error));
    redis.on('ready', () => this.ready());
  }

  /** An error from a Redis connection: logged once per outage (others are counted). Returns false for errors that are not about the connection. */
  error(error: unknown): boolean {
    if (!isRedisConnectionError(error) && !(error instanceof Error && /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|connect|Connection|socket/i.test(error.message))) return false;
    if (this.down) {
      this.suppressed++;
      return true;
    }
    this.down = true;
    this.since = Date.now();
    this.suppressed = 0;
    const code = (error as NodeJS.ErrnoException).code;
    this.log.warn({ error: (error as Error).message, ...(code ? { code } : {}) }, 'Redis unreachable');
    return true;
  }

  /** A connection is ready: ends the outage, if there was one. */
  ready(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info({ downMs: Date.now() - this.since, errorsSuppressed: this.suppressed }, 'Redis back');
  }
}

/** Raised when Redis does not answer in time or is unreachable; the API answers 503. */
export class RedisUnavailableError extends MlqError {
  constructor(cause?: unknown) {
    super('unavailable', 'Redis is unreachable', { cause });
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

/**
 * Logs the process' warnings (a MaxListenersExceededWarning, a deprecation) as JSON lines through
 * the logger instead of Node's default print to stderr, so a process' output stays JSON lines.
 */
export function routeProcessWarningsToLog(log: OutageLogger): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => log.warn({ warning: warning.name, ...(warning.code ? { code: warning.code } : {}) }, warning.message));
}
