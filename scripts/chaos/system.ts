import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, startRedisServer } from '../../test/harness/redis.ts';
import { startApiProcess, startWorkerProcess, type ServiceProcess } from '../../test/harness/processes.ts';
import { HealthProbe } from './probe.ts';
import { HttpClient, RequestStats } from './http.ts';

export interface ChaosWorker {
  name: string;
  process: ServiceProcess;
  metricsPort: number;
}

export interface ChaosApi {
  name: string;
  process: ServiceProcess;
  url: string;
  prefix: string;
}

/**
 * The system under test as real processes on temp dirs and free ports: a redis-server with an
 * append-only file, the API (`apps/api/src/main.ts`), N workers, and a second API on a queue
 * prefix no worker consumes ("idle"), where requests that would start expensive work (fuzzed
 * bodies, hostile sizes) can be sent without running it.
 */
export class ChaosSystem {
  readonly probe = new HealthProbe();
  /** Every worker ever started, live or not, for their logs. */
  readonly everyWorker: ChaosWorker[] = [];
  readonly apis: ChaosApi[] = [];
  private live = new Set<ChaosWorker>();
  private workerCount = 0;
  private redis!: Awaited<ReturnType<typeof startRedisServer>>;

  private constructor(
    readonly dir: string,
    readonly storeDir: string,
    readonly aofDir: string,
    readonly prefix: string,
    readonly workerEnv: Record<string, string>,
  ) {}

  api!: ChaosApi;
  idleApi!: ChaosApi;
  redisUrl = '';

  static async start(options: { workers: number; log?: (line: string) => void }): Promise<ChaosSystem> {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlq-chaos-'));
    const storeDir = path.join(dir, 'store');
    const aofDir = path.join(dir, 'redis');
    await mkdir(storeDir);
    await mkdir(aofDir);
    const system = new ChaosSystem(dir, storeDir, aofDir, 'chaos', {
      TF_BACKEND: 'auto',
      // Short locks so a killed worker's job moves on within seconds, with slack for a loaded
      // 2-core machine; a short grace so a SIGTERM releases the job at once.
      LOCK_DURATION_MS: '4000',
      STALLED_INTERVAL_MS: '2000',
      SHUTDOWN_GRACE_MS: '1000',
      TRAINING_THREADS: '1',
    });
    system.redis = await startRedisServer(undefined, { aofDir });
    system.redisUrl = system.redis.url;
    system.probe.start();
    system.api = await system.startApi('api', { QUEUE_PREFIX: system.prefix });
    system.idleApi = await system.startApi('idle-api', { QUEUE_PREFIX: `${system.prefix}-idle` });
    await Promise.all(Array.from({ length: options.workers }, () => system.startWorker()));
    return system;
  }

  /** An API process on this system's Redis and store; `env` overrides (API_KEYS, HOST, QUEUE_PREFIX…). */
  async startApi(name: string, env: Record<string, string>): Promise<ChaosApi> {
    const port = await freePort();
    const prefix = env.QUEUE_PREFIX ?? this.prefix;
    const process = await startApiProcess({
      REDIS_URL: this.redisUrl,
      MODEL_STORE_DIR: this.storeDir,
      HOST: '127.0.0.1',
      PORT: String(port),
      // Fuzzing and load come from one address and would hit the limiters; they have their own tests.
      RATE_LIMIT_PER_MINUTE: '0',
      SSE_MAX_PER_CLIENT: '5000',
      LOG_LEVEL: 'warn',
      API_KEYS: '',
      ...env,
      QUEUE_PREFIX: prefix,
    });
    const api = { name, process, url: `http://127.0.0.1:${port}`, prefix };
    this.apis.push(api);
    this.probe.add(name, `${api.url}/healthz`);
    return api;
  }

  /** SIGKILL for an API whose event loop may be held for minutes by what it was sent. */
  async stopApi(api: ChaosApi, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.probe.remove(api.name);
    await api.process.stop(signal);
  }

  client(stats = new RequestStats(), api: ChaosApi = this.api, headers: Record<string, string> = {}): HttpClient {
    return new HttpClient(api.url, stats, headers);
  }

  workers(): ChaosWorker[] {
    return [...this.live];
  }

  async startWorker(extra: Record<string, string> = {}): Promise<ChaosWorker> {
    const metricsPort = await freePort();
    const name = `worker-${++this.workerCount}`;
    const process = await startWorkerProcess({
      REDIS_URL: this.redisUrl,
      QUEUE_PREFIX: this.prefix,
      MODEL_STORE_DIR: this.storeDir,
      METRICS_PORT: String(metricsPort),
      ...this.workerEnv,
      ...extra,
    });
    const worker = { name, process, metricsPort };
    this.everyWorker.push(worker);
    this.live.add(worker);
    this.probe.add(name, `http://127.0.0.1:${metricsPort}/healthz`);
    void process.exited.then(() => {
      this.live.delete(worker);
      this.probe.remove(name);
    });
    return worker;
  }

  /** Stops a worker with a signal (SIGKILL: kill -9) and waits until it is gone. */
  async stopWorker(worker: ChaosWorker, signal: NodeJS.Signals): Promise<void> {
    this.probe.remove(worker.name);
    this.live.delete(worker);
    await worker.process.stop(signal);
  }

  /** The live worker whose latest line about `jobId` says it started it (and has not finished it). */
  holderOf(jobId: string): ChaosWorker | undefined {
    for (const worker of this.live) {
      const lines = worker.process.logs.filter((line) => line.jobId === jobId);
      const last = lines.at(-1);
      if (last && (last.msg === 'job started' || (last.msg !== 'job completed' && last.msg !== 'job failed' && lines.some((l) => l.msg === 'job started')))) {
        return worker;
      }
    }
    return undefined;
  }

  /** Every worker log line, of every worker ever started. */
  workerLogs(): Array<Record<string, unknown> & { worker: string }> {
    return this.everyWorker.flatMap((w) => w.process.logs.map((line) => ({ ...line, worker: w.name })));
  }

  async killRedis(): Promise<void> {
    await this.redis.kill();
  }

  /** Starts redis-server again on the same port and directory: it reloads its append-only file. */
  async restartRedis(): Promise<void> {
    this.redis = await startRedisServer(this.redis.port, { aofDir: this.aofDir });
  }

  async aofBytes(): Promise<number> {
    try {
      const dir = path.join(this.aofDir, 'appendonlydir');
      const { readdir } = await import('node:fs/promises');
      let total = 0;
      for (const name of await readdir(dir)) total += (await readFile(path.join(dir, name))).length;
      return total;
    } catch {
      return 0;
    }
  }

  /** Lines on stdout that were not JSON, and stderr lines, per process kind. */
  logHygiene(): { nonJson: number; stderrLines: number; samples: string[] } {
    const processes = [...this.apis.map((a) => a.process), ...this.everyWorker.map((w) => w.process)];
    const samples: string[] = [];
    let nonJson = 0;
    let stderrLines = 0;
    for (const p of processes) {
      nonJson += p.nonJsonLines.length;
      samples.push(...p.nonJsonLines.slice(0, 2));
      const lines = p
        .stderr()
        .split('\n')
        .filter((l) => l.trim() !== '');
      stderrLines += lines.length;
      samples.push(...lines.slice(0, 2));
    }
    return { nonJson, stderrLines, samples: samples.slice(0, 6) };
  }

  async close(): Promise<void> {
    this.probe.stop();
    await Promise.all([...this.live].map((w) => w.process.stop('SIGKILL')));
    await Promise.all(this.apis.map((a) => a.process.stop('SIGKILL')));
    await this.redis.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}
