import type { Redis } from 'ioredis';
import { withRedisTimeout } from '@mlq/jobs';

export interface AuthFailureLimiterOptions {
  /** Wrong keys a client may present per window; past it, every keyed request is refused. */
  perMinute: number;
  /** Key prefix in Redis (the deployment's QUEUE_PREFIX). */
  prefix: string;
  redisTimeoutMs: number;
  /** Told once per outage that Redis could not count (the local count is used meanwhile). */
  onRedisError?: (error: unknown) => void;
}

const WINDOW_MS = 60_000;
/** Clients counted locally at once; beyond it (an address sweep) only Redis counts new ones. */
const MAX_LOCAL_CLIENTS = 100_000;

interface Count {
  failures: number;
  resetAt: number;
}

/**
 * Counts failed authentications per client in windows of a minute from the client's first
 * failure, in Redis so the limit holds across API replicas. Each replica also counts locally,
 * which is what decides while Redis cannot be reached: the limit never lapses with Redis.
 */
export class AuthFailureLimiter {
  private readonly local = new Map<string, Count>();
  private redisFailing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: AuthFailureLimiterOptions,
  ) {}

  /** Seconds until the client may present keys again, or 0 when it may now. */
  async retryAfterSeconds(client: string, now = Date.now()): Promise<number> {
    let count = this.localCount(client, now);
    if (count.failures < this.options.perMinute) {
      const key = this.key(client);
      const stored = await this.fromRedis(() => this.redis.multi().get(key).pttl(key).exec());
      const failures = Number(stored?.[0]?.[1] ?? 0);
      const ttl = Number(stored?.[1]?.[1] ?? -1);
      if (failures > count.failures) count = { failures, resetAt: now + Math.max(ttl, 0) };
    }
    return count.failures >= this.options.perMinute ? Math.max(1, Math.ceil((count.resetAt - now) / 1000)) : 0;
  }

  /** Records a wrong key. */
  async recordFailure(client: string, now = Date.now()): Promise<void> {
    const count = this.localCount(client, now);
    if (count.failures > 0 || this.makeRoom(now)) this.local.set(client, { failures: count.failures + 1, resetAt: count.resetAt });
    const key = this.key(client);
    // The window starts at the first failure: SET NX gives the key its lifetime, INCR keeps it.
    await this.fromRedis(() => this.redis.multi().set(key, 0, 'PX', WINDOW_MS, 'NX').incr(key).exec());
  }

  private key(client: string): string {
    return `${this.options.prefix}:auth-failures:${client}`;
  }

  private localCount(client: string, now: number): Count {
    const count = this.local.get(client);
    return count && count.resetAt > now ? count : { failures: 0, resetAt: now + WINDOW_MS };
  }

  /** Whether a new client may be counted locally, after dropping the expired ones if needed. */
  private makeRoom(now: number): boolean {
    if (this.local.size < MAX_LOCAL_CLIENTS) return true;
    for (const [client, count] of this.local) if (count.resetAt <= now) this.local.delete(client);
    return this.local.size < MAX_LOCAL_CLIENTS;
  }

  private async fromRedis<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await withRedisTimeout(call(), this.options.redisTimeoutMs);
      this.redisFailing = false;
      return value;
    } catch (error) {
      if (!this.redisFailing) this.options.onRedisError?.(error);
      this.redisFailing = true;
      return undefined;
    }
  }
}
