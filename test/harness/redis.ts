import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** A Redis for one test file: its URL, a key prefix of its own, and how to clean up. */
export interface TestRedis {
  url: string;
  prefix: string;
  /** How this Redis was found: `REDIS_URL`, a `redis-server` started here, or a container. */
  source: 'env' | 'redis-server' | 'testcontainers';
  /** Stops a Redis this harness started (needed by tests that take Redis down). */
  stop(): Promise<void>;
  /** Deletes this file's keys and stops what the harness started. */
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`Redis at ${url} did not answer within ${timeoutMs} ms`, { cause: error });
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface RedisServerOptions {
  /**
   * Keep an append-only file in this directory (`appendfsync always`, so a kill -9 loses no
   * acknowledged write); a server started again on the same port and directory reloads it.
   */
  aofDir?: string;
}

/** Starts `redis-server` on a free port, keeping nothing on disk unless `aofDir` is given. */
export async function startRedisServer(
  port?: number,
  options: RedisServerOptions = {},
): Promise<{ url: string; port: number; process: ChildProcess; stop(): Promise<void>; kill(): Promise<void> }> {
  const chosen = port ?? (await freePort());
  const persistence = options.aofDir ? ['--dir', options.aofDir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', ...persistence, '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const exit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  const url = `redis://127.0.0.1:${chosen}`;
  await waitForPing(url, 10_000);
  return { url, port: chosen, process: child, stop: () => exit('SIGTERM'), kill: () => exit('SIGKILL') };
}

/**
 * `REDIS_URL` when set; else a `redis-server` of our own on a free port; else a Redis container
 * through Testcontainers where Docker runs. Never a mock.
 */
export async function startTestRedis(): Promise<TestRedis> {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  let url: string;
  let source: TestRedis['source'];
  let stop = async () => {};
  if (process.env.REDIS_URL) {
    url = process.env.REDIS_URL;
    source = 'env';
    await waitForPing(url, 5_000);
  } else if (hasRedisServer()) {
    const server = await startRedisServer();
    url = server.url;
    source = 'redis-server';
    stop = server.stop;
  } else {
    const moduleName = '@testcontainers/redis';
    const { RedisContainer } = (await import(moduleName).catch(() => {
      throw new Error('No Redis for tests: set REDIS_URL, install redis-server, or install @testcontainers/redis with a running Docker');
    })) as { RedisContainer: new (image: string) => { start(): Promise<{ getConnectionUrl(): string; stop(): Promise<unknown> }> } };
    const container = await new RedisContainer('redis:7-alpine').start();
    url = container.getConnectionUrl();
    source = 'testcontainers';
    stop = async () => {
      await container.stop();
    };
  }
  let stopped = false;
  return {
    url,
    prefix,
    source,
    async stop() {
      stopped = true;
      await stop();
    },
    async close() {
      if (!stopped && source === 'env') {
        const client = new Redis(url, { maxRetriesPerRequest: 1 });
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          if (keys.length > 0) await client.del(...keys);
        } while (cursor !== '0');
        client.disconnect();
      }
      if (!stopped) await stop();
    },
  };
}
