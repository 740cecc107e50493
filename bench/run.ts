/**
 * `npm run bench`: prints figures, asserts nothing. Against a real Redis (its own redis-server,
 * or REDIS_URL) and real worker processes:
 *   - API enqueue throughput (jobs/s over HTTP);
 *   - predict round trip p50/p95/p99 with a cached model (POST /v1/predict?wait);
 *   - LSTM training samples/s on the active backend (the talk's network, Bitcoin);
 *   - makespan of a batch over every coin with 1 and 2 workers.
 * BENCH_QUICK=1 shrinks every run (a smoke test of this script).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import path from 'node:path';
import { ApiConfigSchema, parseConfig } from '@mlq/jobs';
import { findBuiltinDataset } from '@mlq/datasets';
import { initBackend, trainPriceModel } from '@mlq/models';
import { buildServer } from '../apps/api/src/server.ts';
import { startTestRedis } from '../test/harness/redis.ts';
import { startWorkerProcess, type WorkerProcess } from '../test/harness/processes.ts';

const quick = process.env.BENCH_QUICK === '1';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
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
    await startWorker();
    const trained = await post('/v1/train', {
      kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', name: 'bench-btc',
      params: { window: 20, units1: 16, units2: 16, epochs: 1, batchSize: 256 },
    });
    let job: any;
    do {
      await new Promise((r) => setTimeout(r, 200));
      job = await get(`/v1/jobs/${trained.json.jobId}`);
    } while (!['completed', 'failed'].includes(job.state));
    if (job.state !== 'completed') throw new Error(`bench model training failed: ${job.error}`);

    // 1. Enqueue throughput: predict jobs over HTTP, 32 in flight, the worker stopped so only enqueueing is timed.
    await stopWorkers();
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

    // 2. Predict round trip with a cached model.
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
        `(in the worker, from start to finish: p50 ${percentile(inWorker, 50)} ms, mostly the 10 recursive forward passes)`,
    );
    await stopWorkers();

    // 3. Training throughput of the talk's network in this process.
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

    // 4. Batch makespan over every coin, 1 then 2 workers.
    const batchParams = { architecture: 'lstm', params: { window: 20, units1: 16, units2: 16, epochs: quick ? 1 : 2, batchSize: 128 } };
    for (const count of [1, 2]) {
      for (let i = 0; i < count; i++) await startWorker();
      const started = performance.now();
      const batch = await post('/v1/batches', { dataset: 'crypto-top100', horizon: 10, ...batchParams, ...(quick ? { series: ['Bitcoin', 'Ethereum', 'Dash', 'Monero'] } : {}) });
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
  } finally {
    await stopWorkers();
    await api.close();
    await redis.close();
    await rm(storeDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
