import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script sent by its SHA1 (`EVALSHA`), and whole (`EVAL`) only when Redis does not know it
 * yet (first use, a restarted or flushed Redis). Unlike ioredis' `defineCommand`, nothing is added
 * to the connection: a connection shared with BullMQ already carries some fifty scripts, and every
 * `pipeline()` or `multi()` on it copies them all.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
