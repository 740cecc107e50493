/**
 * `npm start`: the whole system on one machine. Finds a Redis (REDIS_URL, else starts
 * `redis-server` on MLQ_REDIS_PORT, default 6380, with its data under ./.data/redis), then runs the API and
 * WORKERS (default 1) worker processes, forwarding Ctrl-C / SIGTERM to them for a clean stop. A
 * worker that exits on its own (a failed wasm heap exits 70, a crash) is started again after a
 * backoff (1 s, doubling to 30 s, back to 1 s once one ran a minute); the API exiting stops all.
 */
import os from 'node:os';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const services: ChildProcess[] = [];
let redisServer: ChildProcess | undefined;

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function findOrStartRedis(): Promise<string> {
  if (process.env.REDIS_URL) {
    if (!(await answers(process.env.REDIS_URL))) throw new Error(`REDIS_URL=${process.env.REDIS_URL} does not answer`);
    return process.env.REDIS_URL;
  }
  const port = Number(process.env.MLQ_REDIS_PORT ?? 6380);
  const url = `redis://127.0.0.1:${port}`;
  // Our own Redis from an earlier run that is still up.
  if (await answers(url)) return url;
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(
      'No Redis found. Either point REDIS_URL at one (REDIS_URL=redis://host:6379 npm start), ' +
        'or install redis-server (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis), ' +
        'or run one in Docker: docker run -p 6380:6379 redis:7',
    );
  }
  const dir = path.join(root, '.data/redis');
  mkdirSync(dir, { recursive: true });
  redisServer = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await answers(url)) return url;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not start on port ${port}`);
}

const RESTART_BACKOFF_MS = { first: 1_000, max: 30_000, healthyAfter: 60_000 };

function startService(name: string, entry: string, env: Record<string, string>, options: { restart?: boolean } = {}, backoffMs = RESTART_BACKOFF_MS.first): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
  const startedAt = Date.now();
  child.on('exit', (code, signal) => {
    services.splice(services.indexOf(child), 1);
    if (stopping) return;
    if (!options.restart) {
      console.error(`${name} exited (${signal ?? code}); stopping everything`);
      void stop(1);
      return;
    }
    const delay = Date.now() - startedAt > RESTART_BACKOFF_MS.healthyAfter ? RESTART_BACKOFF_MS.first : backoffMs;
    console.error(`${name} exited (${signal ?? code}); restarting it in ${delay / 1000} s`);
    setTimeout(() => {
      if (!stopping) startService(name, entry, env, options, Math.min(delay * 2, RESTART_BACKOFF_MS.max));
    }, delay);
  });
  services.push(child);
  return child;
}

let stopping = false;
async function stop(code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Services first (workers finish or release their jobs), Redis last.
  await Promise.all(
    services.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
  if (redisServer && redisServer.exitCode === null) redisServer.kill('SIGTERM');
  process.exit(code);
}

async function main(): Promise<void> {
  const redisUrl = await findOrStartRedis();
  const port = process.env.PORT ?? '3000';
  const env = { REDIS_URL: redisUrl, MODEL_STORE_DIR: process.env.MODEL_STORE_DIR ?? path.join(root, '.data/store') };
  // Loopback unless HOST says otherwise: other machines then need API_KEYS (README, Security).
  const host = process.env.HOST ?? '127.0.0.1';
  startService('api', 'apps/api/src/main.ts', { ...env, HOST: host, PORT: port });
  const workers = Number(process.env.WORKERS ?? 1);
  const metricsPort = Number(process.env.METRICS_PORT ?? 9464);
  for (let i = 0; i < workers; i++) {
    // One metrics port per worker process on this machine.
    startService(
      `worker ${i + 1}`,
      'apps/worker/src/main.ts',
      {
        ...env,
        METRICS_PORT: String(metricsPort === 0 ? 0 : metricsPort + i),
        // Each worker's TRAINING_THREADS=auto would take every core (up to 4): share them between the workers.
        ...(workers > 1 && !process.env.TRAINING_THREADS ? { TRAINING_THREADS: String(Math.max(1, Math.min(4, Math.floor(os.availableParallelism() / workers)))) } : {}),
        // Each worker's memory would otherwise be the whole machine's: share it (less 1 GiB for Redis and the API).
        ...(!process.env.WORKER_MEMORY_BYTES ? { WORKER_MEMORY_BYTES: String(Math.max(512 * 1024 ** 2, Math.floor((os.totalmem() - 1024 ** 3) / workers))) } : {}),
      },
      { restart: true },
    );
  }
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  console.log(
    [
      '',
      `mlq is starting: Redis ${redisUrl}, ${workers} worker(s)`,
      `  API         http://localhost:${port}/v1/datasets`,
      `  OpenAPI     http://localhost:${port}/docs`,
      `  Dashboard   http://localhost:${port}/admin/queues`,
      `  Metrics     http://localhost:${port}/metrics (API), http://localhost:${metricsPort}/metrics (worker 1)`,
      '  Try it      npm run demo   (in another terminal)',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  void stop(1);
});
