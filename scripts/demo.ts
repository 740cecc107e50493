/**
 * `npm run demo`: the talk's story against a running system (`npm start` in another terminal).
 * Trains the linear baseline and the talk's LSTM on Bitcoin (live progress), forecasts 10 days,
 * then sends one LSTM forecast task per coin to the workers and prints every coin's next 10 days
 * with its holdout error against the naive and linear baselines. Then a character-level text
 * generator on an uploaded slice of tiny Shakespeare (its samples per epoch, then streamed text)
 * and a seq2seq chatbot on Shakespeare's dialogue (its probe replies per epoch, then replies).
 * `DEMO_PARTS=price,textgen,chat` picks the parts.
 */
import { readFile } from 'node:fs/promises';
const api = process.env.API_URL ?? 'http://localhost:3000';
// API_KEY: a submit (or admin) key, for an API that has API_KEYS set (README, Security).
const apiKey = process.env.API_KEY;
const fetch: typeof globalThis.fetch = (input, init = {}) =>
  globalThis.fetch(input, apiKey ? { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), authorization: `Bearer ${apiKey}` } } : init);

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
  `RMSE model ${fmt(m.model.rmse)} | naive ${fmt(m.naive.rmse)} | linear ${fmt(m.linear.rmse)}` + (m.model.mape !== null ? `   MAPE model ${m.model.mape.toFixed(1)}%` : '');

const describeDataset = (d: { id: string; kind: string; summary: any }) =>
  d.kind === 'prices'
    ? `${d.summary.seriesCount} series, ${d.summary.rowCount} rows`
    : d.kind === 'text'
      ? `${d.summary.characters.toLocaleString('en-US')} characters, ${d.summary.distinctCharacters} distinct`
      : d.kind === 'pairs'
        ? `${d.summary.pairs.toLocaleString('en-US')} conversation pairs`
        : `${d.summary.words} word vectors of dimension ${d.summary.dimension}`;

async function main(): Promise<void> {
  const { datasets } = await call<{ datasets: Array<{ id: string; kind: string; summary: any }> }>('GET', '/v1/datasets');
  for (const d of datasets) console.log(`dataset ${d.id} (${d.kind}): ${describeDataset(d)}`);
  const parts = (process.env.DEMO_PARTS ?? 'price,textgen,chat').split(',');
  if (parts.includes('price')) await priceStory();
  if (parts.includes('textgen')) await textStory();
  if (parts.includes('chat')) await chatStory();
  console.log(`\ndashboard: ${api}/admin/queues   API docs: ${api}/docs`);
}

async function priceStory(): Promise<void> {
  console.log("\n1. linear regression on Bitcoin (the talk's first model)");
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
    if (done !== reported && done % 10 === 0) {
      console.log(`   ${done}/${batch.series} done`);
      reported = done;
    }
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
}

/** Polls a training, printing each finished epoch once (textgen also reports steps in between). */
async function waitForEpochs(jobId: string, onEpoch: (progress: any) => void): Promise<any> {
  let job: any;
  let reported = 0;
  do {
    await sleep(1000);
    job = await call('GET', `/v1/jobs/${jobId}`);
    const epoch = job.progress?.lastEpoch?.epoch ?? (job.progress?.kind === 'seq2seq' ? job.progress.epoch : 0);
    if (epoch > reported) {
      reported = epoch;
      onEpoch(job.progress);
    }
  } while (!['completed', 'failed', 'cancelled'].includes(job.state));
  if (job.state !== 'completed') throw new Error(`job ${jobId} ${job.state}: ${job.error}`);
  return job;
}

async function textStory(): Promise<void> {
  // A slice keeps an epoch under a minute on a 2-core CPU; the whole corpus is `tinyshakespeare`.
  const slice = (await readFile(new URL('../packages/datasets/data/tinyshakespeare/input.txt', import.meta.url), 'utf8')).slice(0, 120_000);
  const uploaded = await fetch(`${api}/v1/datasets?kind=text&name=shakespeare-120k.txt`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: slice });
  const dataset = (await uploaded.json()) as { id: string; summary: { characters: number; unigramBitsPerChar: number } };
  console.log(
    `\n4. a character-level GRU on ${dataset.summary.characters.toLocaleString('en-US')} characters of Shakespeare (unigram entropy ${dataset.summary.unigramBitsPerChar.toFixed(2)} bits/char)`,
  );
  const epochs = Number(process.env.DEMO_TEXT_EPOCHS ?? 3);
  const train = await call('POST', '/v1/train', { kind: 'textgen', dataset: dataset.id, name: 'bard', params: { epochs }, seed: 1, sampleLength: 120 });
  const job = await waitForEpochs(train.jobId, (p) => {
    const e = p.lastEpoch;
    console.log(
      `   epoch ${e.epoch}/${p.epochs}  ${e.bitsPerChar.toFixed(2)} bits/char, validation ${e.valBitsPerChar?.toFixed(2) ?? '-'}  sample: ${JSON.stringify(e.sample.slice(0, 100))}`,
    );
  });
  console.log(`   trained ${job.result.modelId} in ${(job.result.durationMs / 1000).toFixed(0)} s; streaming 400 characters after "ROMEO:":\n`);
  const streamed = await fetch(`${api}/v1/predict?stream=true`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'bard', seedText: 'ROMEO:\n', length: 400, temperature: 0.6, randomSeed: 7 }),
  });
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of streamed.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (block.startsWith('event: text')) process.stdout.write(JSON.parse(block.slice(block.indexOf('data: ') + 6)).text);
    }
  }
  console.log('\n');
}

async function chatStory(): Promise<void> {
  const probes = ['good morrow, my lord', 'what news?', 'i love thee'];
  const params = { embeddingSize: 64, units: 128, maxVocabulary: 2000, maxInputLength: 15, maxReplyLength: 15, epochs: Number(process.env.DEMO_CHAT_EPOCHS ?? 4), probes };
  console.log(`5. a seq2seq chatbot on tiny Shakespeare's dialogue pairs ${JSON.stringify({ ...params, probes: undefined })}`);
  const train = await call('POST', '/v1/train', { kind: 'seq2seq', dataset: 'tinyshakespeare-dialogue', name: 'bard-chat', params, seed: 1 });
  const job = await waitForEpochs(train.jobId, (p) => {
    console.log(`   epoch ${p.epoch}/${p.epochs}  loss ${p.loss.toFixed(2)}  val ${p.valLoss?.toFixed(2) ?? '-'}  token accuracy ${(p.tokenAccuracy * 100).toFixed(0)}%`);
    for (const probe of p.probes) console.log(`      ${JSON.stringify(probe.input)} → ${JSON.stringify(probe.reply)}`);
  });
  console.log(`   trained ${job.result.modelId} on ${job.result.pairs.training} pairs; beam search, the 3 best replies:`);
  for (const message of ['Wherefore art thou Romeo?', 'Good night, sweet prince.']) {
    const answer = await call('POST', '/v1/predict?wait=30', { model: 'bard-chat', message, strategy: 'beam', beamWidth: 5, n: 3, lengthPenalty: 0.6 });
    console.log(`   ${JSON.stringify(message)}`);
    for (const reply of answer.result.replies) console.log(`      → ${JSON.stringify(reply.text)}  (log p ${reply.logProb.toFixed(1)})`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
