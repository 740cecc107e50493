/**
 * `npm run bench`: prints figures, asserts nothing. Against a real Redis (its own redis-server,
 * or REDIS_URL) and real worker processes:
 *   - API enqueue throughput (jobs/s over HTTP);
 *   - predict round trip p50/p95/p99 with a cached model (POST /v1/predict?wait);
 *   - LSTM training samples/s on the active backend (the talk's network, Bitcoin);
 *   - makespan of a batch over every coin with 1 and 2 workers;
 *   - backtest throughput: a 5-origin backtest of every coin (linear, then a small LSTM) with 1 and 2 workers (bench/backtest.ts);
 *   - resident memory of an API process and a worker process, idle, training and predicting
 *     (what the Kubernetes requests and limits in k8s/ are sized from; Linux only).
 * In this process, without Redis (bench/textgen.ts, bench/seq2seq.ts):
 *   - textgen: character model training windows/s and chars/s, presets default and talk (one timed
 *     step for talk on wasm: ~95 s each), and characters generated per second;
 *   - seq2seq: chat model training pairs/s and replies/s, greedy and beam 5, default params and a
 *     talk-like size (units 512, embeddingSize 256);
 *   - textgen-quality: validation bits per character on tiny Shakespeare after a 3-minute training
 *     budget (preset default), next to the corpus' unigram entropy.
 * In child processes, one per backend (bench/recurrent.ts):
 *   - recurrent: stock tfjs-layers LSTM/GRU against the fast ones, on wasm and cpu, for the talk's
 *     price LSTM (training samples/s, predict latency for 1 and 256 windows) and the text generator
 *     at its default and talk sizes; PyTorch's CPU LSTM beside them when `import torch` works.
 * In child processes, one per backend (bench/price-inference.ts):
 *   - price-inference: PriceModel's 10-day forecast of the talk's LSTM with the tfjs network and
 *     with the LSTM kernel, on wasm and cpu: latency of one forecast, throughput of 32 (one by one
 *     and as one forecastBatch), tfjs' forward pass by op (calls, time in kernels); PyTorch's CPU
 *     LSTM beside them when `import torch` works.
 * Side by side with the peers of `../shared/peers` (bench/serving.ts):
 *   - serving: `side_by_side.sh` on this checkout (raw BullMQ, Celery, Celery + PyTorch, then ours
 *     through `npm start` on Redis port 6390 and API port 3320), a bare Fastify route (the HTTP
 *     floor), text generation and chatbot replies over HTTP; one table with ours as ratios to the
 *     peers. Without the Python peers it says how to install them and runs raw BullMQ and ours.
 *     BENCH_CHECKOUT=<another worktree> measures that checkout instead (before/after a change).
 * BENCH_QUICK=1 shrinks every run (a smoke test of this script). BENCH_ONLY=memory (or enqueue,
 * predict, training, batch, backtest, textgen, seq2seq, textgen-quality, recurrent, price-inference,
 * serving; comma-separated) runs only those sections; Redis, the API and workers start only when
 * one of the first six is among them.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { findBuiltinDataset } from '@mlq/datasets';
import { initBackend, trainPriceModel } from '@mlq/models';
import { buildServer } from '../apps/api/src/server.ts';
import { startTestRedis } from '../test/harness/redis.ts';
import { repoRoot, startWorkerProcess, type WorkerProcess } from '../test/harness/processes.ts';
import { benchPriceInference } from './price-inference.ts';
import { benchRecurrent } from './recurrent.ts';
import { benchBacktests } from './backtest.ts';
import { benchSeq2Seq } from './seq2seq.ts';
import { benchServing } from './serving.ts';
import { benchTextgen, benchTextgenQuality } from './textgen.ts';

const quick = process.env.BENCH_QUICK === '1';
const only = process.env.BENCH_ONLY?.split(',');
const runs = (section: string) => !only || only.includes(section);

const MiB = 1024 * 1024;

/** Resident set now and its peak (VmHWM) of a process, from /proc; undefined off Linux. */
function residentMemory(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kB = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
    return { rss: kB('VmRSS'), peak: kB('VmHWM') };
  } catch {
    return undefined;
  }
}

const formatMemory = (m: { rss: number; peak: number } | undefined) => (m ? `${(m.rss / MiB).toFixed(0)} MiB (peak ${(m.peak / MiB).toFixed(0)} MiB)` : 'n/a (no /proc)');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Sections that need Redis, the API and worker processes; the others run in this process alone. */
const serviceSections = ['enqueue', 'predict', 'training', 'batch', 'backtest', 'memory'];

async function main(): Promise<void> {
  if (serviceSections.some(runs)) await benchServices();
  else console.log(`mlq benchmark — ${cpus().length} cores, Node ${process.version}, model sections only (no Redis)${quick ? ' (quick)' : ''}\n`);
  if (runs('textgen')) await benchTextgen({ quick });
  if (runs('seq2seq')) await benchSeq2Seq({ quick });
  if (runs('textgen-quality')) await benchTextgenQuality({ quick });
  if (runs('recurrent')) await benchRecurrent({ quick });
  if (runs('price-inference')) await benchPriceInference({ quick });
  if (runs('serving')) await benchServing({ quick });
}

async function benchServices(): Promise<void> {
  const redis = await startTestRedis();
  const storeDir = await mkdtemp(path.join(tmpdir(), 'mlq-bench-'));
  const shared = { REDIS_URL: redis.url, QUEUE_PREFIX: redis.prefix, MODEL_STORE_DIR: storeDir, LOG_LEVEL: 'warn' };
  const api = await buildServer({ config: parseConfig(ApiConfigSchema, { ...shared, PORT: '0', RATE_LIMIT_PER_MINUTE: '0' }) });
  const address = await api.listen({ host: '127.0.0.1', port: 0 });
  const post = async (url: string, body: unknown) => {
    const response = await fetch(`${address}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as any };
  };
  const get = async (url: string) => (await (await fetch(`${address}${url}`)).json()) as any;
  const workers: WorkerProcess[] = [];
  const startWorker = async () => {
    const worker = await startWorkerProcess({ ...shared, LOG_LEVEL: 'info', METRICS_PORT: '0' });
    workers.push(worker);
    return worker;
  };
  const stopWorkers = async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGTERM')));
  };

  console.log(`mlq benchmark — ${cpus().length} cores, Node ${process.version}, Redis via ${redis.source}${quick ? ' (quick)' : ''}\n`);
  try {
    // A small model to predict with.
    if (runs('enqueue') || runs('predict')) {
      await startWorker();
      const trained = await post('/v1/train', {
        kind: 'price',
        architecture: 'lstm',
        dataset: 'crypto-top100',
        series: 'Bitcoin',
        name: 'bench-btc',
        params: { window: 20, units1: 16, units2: 16, epochs: 1, batchSize: 256 },
      });
      let job: any;
      do {
        await new Promise((r) => setTimeout(r, 200));
        job = await get(`/v1/jobs/${trained.json.jobId}`);
      } while (!['completed', 'failed'].includes(job.state));
      if (job.state !== 'completed') throw new Error(`bench model training failed: ${job.error}`);

      await stopWorkers();
    }
    // 1. Enqueue throughput: predict jobs over HTTP, 32 in flight, the worker stopped so only enqueueing is timed.
    if (runs('enqueue')) {
      const enqueueCount = quick ? 300 : 3000;
      const inFlight = 32;
      let sent = 0;
      const enqueueStart = performance.now();
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (sent < enqueueCount) {
            sent++;
            const r = await post('/v1/predict', { model: 'bench-btc', horizon: 10 });
            if (r.status !== 202) throw new Error(`enqueue answered ${r.status}`);
          }
        }),
      );
      const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
      console.log(`API enqueue throughput: ${(enqueueCount / enqueueSeconds).toFixed(0)} jobs/s (${enqueueCount} POST /v1/predict, ${inFlight} concurrent)`);
      await api.services.queues.predict.obliterate({ force: true });
    }

    // 2. Predict round trip with a cached model.
    if (runs('predict')) {
      await startWorker();
      await post('/v1/predict?wait=30', { model: 'bench-btc' }); // loads it into the cache
      const rounds = quick ? 50 : 500;
      const latencies: number[] = [];
      const inWorker: number[] = [];
      for (let i = 0; i < rounds; i++) {
        const started = performance.now();
        const r = await post('/v1/predict?wait=30', { model: 'bench-btc', horizon: 10 });
        if (r.status !== 200 || !r.json.result?.cached) throw new Error(`predict answered ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
        latencies.push(performance.now() - started);
        inWorker.push(Date.parse(r.json.finishedAt) - Date.parse(r.json.startedAt));
      }
      latencies.sort((a, b) => a - b);
      inWorker.sort((a, b) => a - b);
      console.log(
        `predict round trip (cached model, horizon 10, ${rounds} sequential): p50 ${percentile(latencies, 50).toFixed(1)} ms, ` +
          `p95 ${percentile(latencies, 95).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms ` +
          `(in the worker, from start to finish: p50 ${percentile(inWorker, 50)} ms, the 10 recursive forward passes included)`,
      );
      await stopWorkers();
    }

    // 3. Training throughput of the talk's network in this process.
    if (runs('training')) {
      const backend = await initBackend((process.env.TF_BACKEND as 'auto') ?? 'auto');
      const closes = (await findBuiltinDataset('crypto-top100')!.load()).closes('Bitcoin');
      const epochs = quick ? 1 : 2;
      const trainStart = performance.now();
      const model = await trainPriceModel(closes, { kind: 'lstm', params: { epochs, validationSplit: 0 } });
      const trainSeconds = (performance.now() - trainStart) / 1000;
      const windows = closes.length - model.params.window! - model.metadata.holdout;
      model.dispose();
      console.log(
        `LSTM training, talk's network (LSTM 50→100, window ${model.params.window}, batch ${model.params.batchSize}) on ${backend.name}: ` +
          `${((windows * epochs) / trainSeconds).toFixed(0)} samples/s (${windows} windows × ${epochs} epochs in ${trainSeconds.toFixed(1)} s, incl. evaluation)`,
      );
    }

    // 4. Batch makespan over every coin, 1 then 2 workers.
    if (runs('batch')) {
      const batchParams = { architecture: 'lstm', params: { window: 20, units1: 16, units2: 16, epochs: quick ? 1 : 2, batchSize: 128 } };
      for (const count of [1, 2]) {
        for (let i = 0; i < count; i++) await startWorker();
        const started = performance.now();
        const batch = await post('/v1/batches', {
          dataset: 'crypto-top100',
          horizon: 10,
          ...batchParams,
          ...(quick ? { series: ['Bitcoin', 'Ethereum', 'Dash', 'Monero'] } : {}),
        });
        if (batch.status !== 202) throw new Error(`batch answered ${batch.status}: ${batch.json.message}`);
        let view: any;
        do {
          await new Promise((r) => setTimeout(r, 250));
          view = await get(`/v1/batches/${batch.json.batchId}`);
        } while (view.state !== 'completed' && view.state !== 'failed');
        const seconds = (performance.now() - started) / 1000;
        console.log(
          `batch makespan, ${batch.json.series} coins (LSTM 16→16, window 20, ${batchParams.params.epochs} epochs each), ${count} worker${count > 1 ? 's' : ''}: ` +
            `${seconds.toFixed(1)} s (${JSON.stringify(view.counts)})`,
        );
        await stopWorkers();
      }
    }

    // 5. Backtest throughput over every coin, 1 then 2 workers.
    if (runs('backtest')) await benchBacktests({ post, get, startWorker, stopWorkers, quick });

    // 6. Resident memory of an API process and a worker process.
    if (runs('memory')) await measureMemory(shared);
  } finally {
    await stopWorkers();
    await api.close();
    await redis.close();
    await rm(storeDir, { recursive: true, force: true });
  }
}

async function measureMemory(shared: Record<string, string>): Promise<void> {
  const port = await freePort();
  const apiProcess = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'apps/api/src/main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ...shared, PORT: String(port), HOST: '127.0.0.1', RATE_LIMIT_PER_MINUTE: '0' },
    stdio: 'ignore',
  });
  const base = `http://127.0.0.1:${port}`;
  let worker: WorkerProcess | undefined;
  try {
    worker = await startWorkerProcess({ ...shared, LOG_LEVEL: 'info', METRICS_PORT: '0' });
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 200) throw new Error('API process did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const post = async (url: string, body: unknown) =>
      (await (await fetch(`${base}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as any;
    const idle = { api: residentMemory(apiProcess.pid!), worker: residentMemory(worker.child.pid!) };
    const epochs = quick ? 1 : 2;
    const { jobId } = await post('/v1/train', {
      kind: 'price',
      architecture: 'lstm',
      dataset: 'crypto-top100',
      series: 'Bitcoin',
      name: 'bench-memory',
      params: { epochs },
    });
    let job: any;
    do {
      await new Promise((r) => setTimeout(r, 500));
      job = await (await fetch(`${base}/v1/jobs/${jobId}`)).json();
    } while (!['completed', 'failed'].includes(job.state));
    if (job.state !== 'completed') throw new Error(`memory bench training failed: ${job.error}`);
    const trained = residentMemory(worker.child.pid!);
    const predictions = quick ? 50 : 300;
    await Promise.all(
      Array.from({ length: 8 }, async (_, lane) => {
        for (let i = lane; i < predictions; i += 8) await post('/v1/predict?wait=30', { model: 'bench-memory', horizon: 10 });
      }),
    );
    console.log(
      `resident memory — API process: idle ${formatMemory(idle.api)}, after ${predictions} predictions ${formatMemory(residentMemory(apiProcess.pid!))}; ` +
        `worker process: idle ${formatMemory(idle.worker)}, after training the talk's LSTM (${epochs} epochs) ${formatMemory(trained)}, ` +
        `after ${predictions} predictions ${formatMemory(residentMemory(worker.child.pid!))}`,
    );
  } finally {
    await worker?.stop('SIGTERM');
    apiProcess.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
