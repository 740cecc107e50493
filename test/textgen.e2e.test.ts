import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSystem, pollJob, finished, type TestSystem } from './harness/system.ts';
import { readServerSentEvents } from './harness/sse.ts';

/**
 * Text generation end to end: upload a corpus, train through the API on a real worker process,
 * watch progress, generate (waiting and streamed), and survive a worker killed mid-training by
 * resuming from the checkpoint. Short locks so a dead worker's job moves on within seconds.
 */
const fastLocks = { LOCK_DURATION_MS: '2000', STALLED_INTERVAL_MS: '1000' };
const corpus = readFileSync(new URL('../packages/models/src/textgen/fixtures/tiny-shakespeare-excerpt.txt', import.meta.url));
const small = { units: 32, seqLength: 24, batchSize: 32, learningRate: 0.01, validationSplit: 0.1 };

let system: TestSystem;
let datasetId: string;
let modelId: string;

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) => system.api.inject({ method: 'POST', url, payload: payload as string, headers });

beforeAll(async () => {
  system = await startTestSystem({ workers: 1, workerEnv: fastLocks });
});
afterAll(async () => {
  await system?.close();
});

describe('textgen through the API', () => {
  it('uploads a text corpus and refuses empty, binary and non-UTF-8 text, naming the file', async () => {
    const uploaded = await post('/v1/datasets?kind=text&name=excerpt.txt', corpus, { 'content-type': 'text/plain' });
    expect(uploaded.statusCode, uploaded.body).toBe(201);
    expect(uploaded.json()).toMatchObject({ kind: 'text', format: 'text', summary: { characters: corpus.toString('utf8').length, bytes: corpus.length } });
    expect(uploaded.json().summary.unigramBitsPerChar).toBeGreaterThan(4);
    datasetId = uploaded.json().id;

    const blank = await post('/v1/datasets?kind=text&name=blank.txt', ' \n\n ', { 'content-type': 'text/plain' });
    expect(blank.statusCode).toBe(400);
    expect(blank.json().message).toMatch(/blank\.txt.*only whitespace/);
    const latin1 = await post('/v1/datasets?kind=text&name=latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9]), { 'content-type': 'text/plain' });
    expect(latin1.statusCode).toBe(400);
    expect(latin1.json().message).toMatch(/latin1\.txt.*UTF-8/);
    const binary = await post('/v1/datasets?kind=text&name=a.bin', Buffer.from([0x61, 0x00, 0x62]), { 'content-type': 'application/octet-stream' });
    expect(binary.statusCode).toBe(400);
    expect(binary.json().message).toMatch(/NUL byte/);

    const listed = (await system.api.inject({ method: 'GET', url: '/v1/datasets?kind=text' })).json().datasets.map((d: { id: string }) => d.id);
    expect(listed).toEqual(expect.arrayContaining(['tinyshakespeare', 'moby-dick', datasetId]));
  });

  it('rejects bad training requests with 4xx naming the field', async () => {
    const units = await post('/v1/train', { kind: 'textgen', dataset: datasetId, params: { units: 5000 } });
    expect(units.statusCode).toBe(400);
    expect(units.json()).toMatchObject({ field: 'body/params/units', message: 'body/params/units must be <= 1024' });
    const unknown = await post('/v1/train', { kind: 'textgen', dataset: datasetId, params: { window: 5 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/must NOT have additional properties/);
    const kind = await post('/v1/train', { kind: 'poetry', dataset: datasetId });
    expect(kind.json()).toMatchObject({ statusCode: 400, message: 'body/kind must be one of price, textgen, seq2seq' });
    const step = await post('/v1/train', { kind: 'textgen', dataset: datasetId, params: { seqLength: 20, step: 30 } });
    expect(step.json()).toMatchObject({ statusCode: 400, field: 'body/params/step' });
    const wrongDataset = await post('/v1/train', { kind: 'textgen', dataset: 'crypto-top100' });
    expect(wrongDataset.json()).toMatchObject({ statusCode: 400, message: 'dataset crypto-top100 holds prices; a textgen model needs a text dataset' });
    const short = await post('/v1/datasets?kind=text&name=short.txt', 'To be, or not to be.', { 'content-type': 'text/plain' });
    const tooShort = await post('/v1/train', { kind: 'textgen', dataset: short.json().id });
    expect(tooShort.json()).toMatchObject({ statusCode: 400, field: 'body/dataset' });
    expect(tooShort.json().message).toMatch(/has 20 characters; seqLength 60 .* needs at least 1220/);
    const missing = await post('/v1/train', { kind: 'textgen', dataset: 'no-such-text' });
    expect(missing.statusCode).toBe(404);
  });

  it('trains with per-epoch progress (loss, validation bits per character, a sample) and registers the model', async () => {
    const response = await post('/v1/train', { kind: 'textgen', dataset: datasetId, name: 'bard', params: { ...small, epochs: 3 }, seed: 1, sampleLength: 60 });
    expect(response.statusCode, response.body).toBe(202);
    const epochsSeen = new Set<number>();
    const job = await pollJob(system.api, response.json().jobId, finished, {
      timeoutMs: 90_000,
      onView: (view) => view.progress?.lastEpoch && epochsSeen.add(view.progress.lastEpoch.epoch),
    });
    expect(job.state, job.error).toBe('completed');
    // Under 2 s locks, never stalled: the training loop yields after every step.
    expect(system.workers()[0]!.logs.some((line) => line.msg === 'job stalled; put back in the queue')).toBe(false);
    expect(job.attempts.made).toBe(1);
    expect(job.progress).toMatchObject({ kind: 'textgen', epoch: 3, epochs: 3, lastEpoch: { epoch: 3 } });
    expect(job.progress.lastEpoch.sample).toHaveLength(60);
    expect(epochsSeen.size).toBeGreaterThanOrEqual(2);
    const { result } = job;
    expect(result).toMatchObject({ kind: 'textgen', name: 'bard', version: 1, architecture: 'gru', epochs: 3, resumedFromStep: null });
    expect(result.metrics.valBitsPerChar).toBeLessThan(result.metrics.unigramBitsPerChar - 0.5);
    modelId = result.modelId;
    const model = (await system.api.inject({ method: 'GET', url: '/v1/models/bard' })).json();
    expect(model).toMatchObject({ id: modelId, kind: 'textgen', architecture: 'gru', preset: 'default', dataset: datasetId });
    expect(model.vocabularySize).toBeGreaterThan(30);
  });

  it('generates with wait: bounded length, the same text for the same seed, unseen characters read', async () => {
    const generate = async (body: Record<string, unknown>) => {
      const response = await post('/v1/predict?wait=30', { model: 'bard', ...body });
      expect(response.statusCode, response.body).toBe(200);
      expect(response.json().state).toBe('completed');
      return response.json().result;
    };
    const a = await generate({ seedText: 'ROMEO:\n', length: 80, temperature: 0.8, randomSeed: 42 });
    const b = await generate({ seedText: 'ROMEO:\n', length: 80, temperature: 0.8, randomSeed: 42 });
    expect(Array.from(a.text)).toHaveLength(80);
    expect(b.text).toBe(a.text);
    expect(a).toMatchObject({ kind: 'textgen', modelId, randomSeed: 42, temperature: 0.8, unknownCharacters: 0 });
    const c = await generate({ seedText: 'ROMEO:\n', length: 80, temperature: 0.8, randomSeed: 43 });
    expect(c.text).not.toBe(a.text);
    const cold = await generate({ seedText: 'ROMEO:\n', length: 80, temperature: 0.05, randomSeed: 42 });
    expect(cold.text).not.toBe(a.text); // the same draws through a sharper distribution
    const strange = await generate({ seedText: '日本語 🎭 ÿ', length: 10 });
    expect(strange.unknownCharacters).toBeGreaterThan(0);
    expect(Array.from(strange.text)).toHaveLength(10);
  });

  it('rejects prediction fields of other kinds and bad bounds, naming the field', async () => {
    const horizon = await post('/v1/predict', { model: 'bard', seedText: 'a', horizon: 3 });
    expect(horizon.json()).toMatchObject({ statusCode: 400, field: 'body/horizon' });
    expect(horizon.json().message).toMatch(/horizon applies to price models; model bard is a textgen model/);
    const noSeed = await post('/v1/predict', { model: 'bard', length: 10 });
    expect(noSeed.json()).toMatchObject({ statusCode: 400, field: 'body/seedText' });
    const long = await post('/v1/predict', { model: 'bard', seedText: 'a', length: 2001 });
    expect(long.json()).toMatchObject({ statusCode: 400, message: 'body/length must be <= 2000' });
    const hot = await post('/v1/predict', { model: 'bard', seedText: 'a', temperature: 0 });
    expect(hot.json()).toMatchObject({ statusCode: 400, message: 'body/temperature must be > 0' });
  });

  it('streams generated characters as server-sent events, then the finished job', async () => {
    const address = await system.api.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${address}/v1/predict?stream=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'bard', seedText: 'KING', length: 1500, randomSeed: 7 }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = await readServerSentEvents(response);
    expect(events[0]!.event).toBe('job');
    const texts = events.filter((e) => e.event === 'text');
    const result = events.at(-1)!;
    expect(result).toMatchObject({ event: 'result', data: { state: 'completed' } });
    expect(texts.map((e) => e.data.text).join('')).toBe(result.data.result.text);
    expect(texts.length).toBeGreaterThan(1); // chunks as they were generated, not one block at the end
    expect(texts[0]!.at).toBeLessThan(result.at);

    const price = await post('/v1/predict?stream=true', { model: 'no-such-model' });
    expect(price.statusCode).toBe(404);
  });
});

describe('textgen checkpoints', () => {
  it("kill -9 mid-training: the retried job continues from the checkpoint's step, not from zero", async () => {
    const response = await post('/v1/train', { kind: 'textgen', dataset: datasetId, params: { ...small, units: 16, epochs: 8, checkpointEverySteps: 10 }, seed: 2, sampleLength: 0 });
    const jobId = response.json().jobId;
    const doomed = system.workers()[0]!;
    const checkpoint = await pollJob(system.api, jobId, (job) => (job.progress?.checkpointStep ?? 0) >= 10 || finished(job), { timeoutMs: 60_000 });
    expect(checkpoint.state).toBe('active');
    const checkpointStep: number = checkpoint.progress.checkpointStep;
    await doomed.stop('SIGKILL');

    const rescuer = await system.startWorker();
    const job = await pollJob(system.api, jobId, finished, { timeoutMs: 110_000 });
    expect(job.state, job.error).toBe('completed');
    expect(job.result.resumedFromStep).toBeGreaterThanOrEqual(checkpointStep);
    expect(job.result.resumedFromStep).toBeLessThan(job.result.steps);
    const resumed = await rescuer.waitForLog((line) => line.msg === 'resuming from checkpoint' && line.jobId === jobId);
    expect(resumed.step).toBe(job.result.resumedFromStep);
  });
});
