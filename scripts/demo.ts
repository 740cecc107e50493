/**
 * `npm run demo`: the talk's story against a running system (`npm start` in another terminal).
 * Trains the linear baseline and the talk's LSTM on Bitcoin (live progress), forecasts 10 days,
 * then sends one LSTM forecast task per coin to the workers and prints every coin's next 10 days
 * with its holdout error against the naive and linear baselines.
 */
const api = process.env.API_URL ?? 'http://localhost:3000';

async function call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${api}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as T & { message?: string };
  if (response.status >= 400) throw new Error(`${method} ${path} → ${response.status}: ${json.message}`);
  return json;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Metrics = Record<'model' | 'naive' | 'linear', { mae: number; rmse: number; mape: number | null }>;

async function waitForJob(jobId: string, onProgress?: (progress: any) => void): Promise<any> {
  let job: any;
  let lastEpoch = 0;
  do {
    await sleep(500);
    job = await call('GET', `/v1/jobs/${jobId}`);
    if (onProgress && job.progress?.epoch > lastEpoch) {
      lastEpoch = job.progress.epoch;
      onProgress(job.progress);
    }
  } while (!['completed', 'failed', 'cancelled'].includes(job.state));
  if (job.state !== 'completed') throw new Error(`job ${jobId} ${job.state}: ${job.error}`);
  return job;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));
const errors = (m: Metrics) =>
  `RMSE model ${fmt(m.model.rmse)} | naive ${fmt(m.naive.rmse)} | linear ${fmt(m.linear.rmse)}` +
  (m.model.mape !== null ? `   MAPE model ${m.model.mape.toFixed(1)}%` : '');

async function main(): Promise<void> {
  const { datasets } = await call<{ datasets: Array<{ id: string; summary: { seriesCount: number; rowCount: number } }> }>('GET', '/v1/datasets');
  for (const d of datasets) console.log(`dataset ${d.id}: ${d.summary.seriesCount} series, ${d.summary.rowCount} rows`);

  console.log('\n1. linear regression on Bitcoin (the talk\'s first model)');
  const linear = await call('POST', '/v1/train', { kind: 'price', architecture: 'linear', dataset: 'crypto-top100', series: 'Bitcoin', name: 'btc-linear' });
  const linearJob = await waitForJob(linear.jobId);
  console.log(`   ${errors(linearJob.result.metrics)}`);

  const params = { window: 50, units1: 50, units2: 100, epochs: Number(process.env.DEMO_EPOCHS ?? 3), batchSize: 512 };
  console.log(`\n2. the talk's LSTM on Bitcoin ${JSON.stringify(params)}`);
  const lstm = await call('POST', '/v1/train', { kind: 'price', architecture: 'lstm', dataset: 'crypto-top100', series: 'Bitcoin', name: 'btc', params });
  const lstmJob = await waitForJob(lstm.jobId, (p) =>
    console.log(`   epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toExponential(3)}  val ${p.valLoss?.toExponential(3) ?? '-'}  eta ${Math.round(p.etaMs / 1000)} s`),
  );
  console.log(`   ${errors(lstmJob.result.metrics)}   (model ${lstmJob.result.modelId}, version ${lstmJob.result.version})`);

  const predicted = await call('POST', '/v1/predict?wait=30', { model: 'btc', horizon: 10 });
  console.log(`   next 10 days: ${predicted.result.forecast.map((v: number, i: number) => `${predicted.result.dates[i].slice(5)} ${v.toFixed(0)}`).join(', ')}`);

  const batchParams = { window: 20, units1: 16, units2: 16, epochs: Number(process.env.DEMO_BATCH_EPOCHS ?? 2), batchSize: 128 };
  console.log(`\n3. send_tasks: one LSTM forecast task per coin ${JSON.stringify(batchParams)}`);
  const batch = await call('POST', '/v1/batches', { dataset: 'crypto-top100', architecture: 'lstm', horizon: 10, params: batchParams });
  const started = Date.now();
  let view: any;
  let reported = -1;
  do {
    await sleep(1000);
    view = await call('GET', `/v1/batches/${batch.batchId}`);
    const done = (view.counts.completed ?? 0) + (view.counts.failed ?? 0);
    if (done !== reported && done % 10 === 0) console.log(`   ${done}/${batch.series} done`), (reported = done);
  } while (view.state !== 'completed' && view.state !== 'failed');
  console.log(`   ${batch.series} coins in ${((Date.now() - started) / 1000).toFixed(1)} s; skipped (too short): ${Object.keys(batch.skipped).join(', ') || 'none'}\n`);
  for (const s of view.series) {
    if (!s.forecast) {
      console.log(`${s.series.padEnd(20)} ${s.state}: ${s.error}`);
      continue;
    }
    console.log(`${s.series.padEnd(20)} ${s.forecast.map(fmt).join(' ')}`);
    console.log(`${''.padEnd(20)} ${errors(s.metrics)}`);
  }
  const beat = view.series.filter((s: any) => s.metrics && s.metrics.model.rmse < s.metrics.naive.rmse).length;
  console.log(`\nthe LSTM beat the naive baseline on ${beat} of ${view.series.length} coins (holdout RMSE, last 10 days)`);
  console.log(`dashboard: ${api}/admin/queues   API docs: ${api}/docs`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
