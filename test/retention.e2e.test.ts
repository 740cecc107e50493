import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Job } from 'bullmq';
import { ApiConfigSchema, createJobId, parseConfig, type MeteredArtifactStore } from '@mlq/jobs';
import { buildServer } from '../apps/api/src/server.ts';
import { startInProcessWorker, type InProcessWorker } from '../apps/worker/src/testing/in-process-worker.ts';
import { toCoinCsv } from './harness/csv.ts';

/** Room for the test's uploads and a few small models; the quota test fills the rest on purpose. */
const QUOTA = 400_000;

let worker: InProcessWorker;
let api: FastifyInstance;
const bodies: string[] = [];

beforeAll(async () => {
  worker = await startInProcessWorker({ STORE_QUOTA_BYTES: String(QUOTA), TRAINING_THREADS: '1' });
  api = await buildServer({
    config: parseConfig(ApiConfigSchema, {
      REDIS_URL: worker.redis.url,
      QUEUE_PREFIX: worker.redis.prefix,
      MODEL_STORE_DIR: worker.storeDir,
      STORE_QUOTA_BYTES: String(QUOTA),
      RATE_LIMIT_PER_MINUTE: '0',
    }),
  });
  await api.ready();
});
afterAll(async () => {
  await api?.close();
  await worker?.close();
});

/** Every error answer and job view is kept, to check that none shows a file system path. */
async function call(options: InjectOptions): Promise<LightMyRequestResponse> {
  const response = await api.inject(options);
  if (response.statusCode >= 400 || String(options.url).startsWith('/v1/jobs/')) bodies.push(response.body);
  return response;
}

const closes = (n: number) => Array.from({ length: n }, (_, i) => 100 + 10 * Math.sin(i / 7) + i * 0.3);

async function uploadPrices(name: string, points = 240): Promise<string> {
  const response = await call({ method: 'POST', url: `/v1/datasets?name=${name}.csv&series=${name}`, headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(closes(points)) });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().id;
}

const finished = (job: Job, ms = 120_000) =>
  job.waitUntilFinished(worker.events.train, ms).then(
    (value: unknown) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );
const jobOf = async (queue: 'train' | 'predict', id: string) => (await worker.queues[queue].getJob(id))!;
const activeEvent = (jobId: string) =>
  new Promise<void>((resolve) => {
    const listener = ({ jobId: id }: { jobId: string }) => {
      if (id !== jobId) return;
      worker.events.train.off('active', listener);
      resolve();
    };
    worker.events.train.on('active', listener);
  });
const trainWorker = () => worker.app.workers[0]!;
const predictWorker = () => worker.app.workers[1]!;

describe('deleting datasets', () => {
  it('is refused while a waiting, then an active training uses it; allowed after; 404 and no file afterwards', async () => {
    const id = await uploadPrices('retention-a');
    const stored = path.join(worker.storeDir, 'datasets', id);
    expect(existsSync(stored)).toBe(true);

    await trainWorker().pause();
    const train = await call({
      method: 'POST',
      url: '/v1/train',
      payload: { kind: 'price', architecture: 'lstm', dataset: id, series: 'retention-a', params: { window: 8, units1: 4, units2: 4, epochs: 1000, batchSize: 8 } },
    });
    expect(train.statusCode, train.body).toBe(202);
    const jobId = train.json().jobId;

    const waiting = await call({ method: 'DELETE', url: `/v1/datasets/${id}` });
    expect(waiting.statusCode).toBe(409);
    expect(waiting.json()).toMatchObject({ error: 'Conflict', details: { jobId, queue: 'train' } });
    expect(waiting.json().message).toContain(`used by job ${jobId}`);

    const active = activeEvent(jobId);
    trainWorker().resume();
    await active;
    const running = await call({ method: 'DELETE', url: `/v1/datasets/${id}` });
    expect(running.statusCode).toBe(409);
    expect((await call({ method: 'GET', url: `/v1/datasets/${id}` })).statusCode).toBe(200);

    expect((await call({ method: 'DELETE', url: `/v1/jobs/${jobId}` })).statusCode).toBe(202);
    expect((await finished(await jobOf('train', jobId))).ok).toBe(false); // cancelled

    const deleted = await call({ method: 'DELETE', url: `/v1/datasets/${id}` });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toMatchObject({ id, deleted: true, store: { quotaBytes: QUOTA } });
    expect(existsSync(stored)).toBe(false);
    expect((await call({ method: 'GET', url: `/v1/datasets/${id}` })).statusCode).toBe(404);
    expect((await call({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(404);
    const datasets = (await call({ method: 'GET', url: '/v1/datasets' })).json().datasets;
    expect(datasets.map((d: { id: string }) => d.id)).not.toContain(id);
    const late = await call({ method: 'POST', url: '/v1/train', payload: { kind: 'price', architecture: 'linear', dataset: id, series: 'retention-a' } });
    expect(late.statusCode).toBe(404);
  });

  it('refuses a batch over a dataset until the batch is done, and built-in datasets always', async () => {
    const id = await uploadPrices('retention-b', 120);
    await trainWorker().pause();
    const batch = await call({ method: 'POST', url: '/v1/batches', payload: { dataset: id, architecture: 'linear', horizon: 3 } });
    expect(batch.statusCode, batch.body).toBe(202);
    const refused = await call({ method: 'DELETE', url: `/v1/datasets/${id}` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().details.jobId).toBe(batch.json().batchId);
    // The batch's children are cancelled (removed while waiting); the parent then has nothing left to wait for.
    const parent = (await api.services.queues.batch.getJob(batch.json().batchId))!;
    await parent.remove({ removeChildren: true });
    trainWorker().resume();
    expect((await call({ method: 'DELETE', url: `/v1/datasets/${id}` })).statusCode).toBe(200);

    const builtin = await call({ method: 'DELETE', url: '/v1/datasets/crypto-top100' });
    expect(builtin.statusCode).toBe(400);
    expect(builtin.json().message).toMatch(/built in; only uploaded datasets can be deleted/);
  });
});

describe('deleting models', () => {
  it('deletes a version, the latest, then a whole name; refuses while a prediction waits; a cached model is not served after', async () => {
    const trainOne = async () => {
      const response = await call({
        method: 'POST',
        url: '/v1/train',
        payload: { kind: 'price', architecture: 'linear', dataset: 'vega-stocks', series: 'AAPL', name: 'ret-aapl', horizon: 3 },
      });
      expect(response.statusCode, response.body).toBe(202);
      const outcome = await finished(await jobOf('train', response.json().jobId));
      expect(outcome.ok).toBe(true);
      return (outcome as { value: { modelId: string; version: number } }).value;
    };
    const v1 = await trainOne();
    const v2 = await trainOne();
    const v3 = await trainOne();
    expect([v1.version, v2.version, v3.version]).toEqual([1, 2, 3]);
    expect(worker.app.context.cache.has(v1.modelId)).toBe(true);

    // A prediction of v1 waits (the predict worker is paused): the whole name cannot go, nor v1.
    await predictWorker().pause();
    const predict = await call({ method: 'POST', url: '/v1/predict', payload: { model: 'ret-aapl@1', horizon: 2 } });
    expect(predict.statusCode).toBe(202);
    const predictId = predict.json().jobId;
    const refused = await call({ method: 'DELETE', url: '/v1/models/ret-aapl' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ details: { jobId: predictId, queue: 'predict' } });
    expect(refused.json().message).toContain(`model ${v1.modelId} is used by job ${predictId}`);
    const listed = await call({ method: 'GET', url: '/v1/models?name=ret-aapl' });
    expect(listed.json().total).toBe(3);
    // Records name the store's kind, never where it lives on the server.
    expect(listed.json().models[0].artifactStore).toBe('file');
    expect(listed.body).not.toContain(path.resolve(worker.storeDir));
    expect((await call({ method: 'GET', url: `/v1/models/${v1.modelId}` })).body).not.toContain(path.resolve(worker.storeDir));

    // Versions no job uses can go: by name@version, then the latest.
    const second = await call({ method: 'DELETE', url: '/v1/models/ret-aapl@2' });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().deleted).toEqual([{ id: v2.modelId, name: 'ret-aapl', version: 2 }]);
    const latest = await call({ method: 'DELETE', url: '/v1/models/ret-aapl@latest' });
    expect(latest.json().deleted.map((m: { id: string }) => m.id)).toEqual([v3.modelId]);
    expect((await call({ method: 'GET', url: '/v1/models/ret-aapl' })).json().id).toBe(v1.modelId);
    for (const id of [v2.modelId, v3.modelId]) {
      expect(existsSync(path.join(worker.storeDir, 'models', id))).toBe(false);
      expect((await call({ method: 'GET', url: `/v1/models/${id}` })).statusCode).toBe(404);
    }

    // The waiting prediction is cancelled; now the name goes.
    expect((await call({ method: 'DELETE', url: `/v1/jobs/${predictId}` })).json().state).toBe('removed');
    const all = await call({ method: 'DELETE', url: '/v1/models/ret-aapl' });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json().deleted.map((m: { id: string }) => m.id)).toEqual([v1.modelId]);
    expect(existsSync(path.join(worker.storeDir, 'models', v1.modelId))).toBe(false);
    expect((await call({ method: 'GET', url: '/v1/models/ret-aapl' })).statusCode).toBe(404);
    expect((await call({ method: 'GET', url: '/v1/models?name=ret-aapl' })).json().total).toBe(0);
    expect((await call({ method: 'POST', url: '/v1/predict', payload: { model: v1.modelId } })).statusCode).toBe(404);
    expect((await call({ method: 'DELETE', url: '/v1/models/ret-aapl' })).statusCode).toBe(404);

    // The worker still holds v1 in its cache, but a job for it (enqueued behind the API's back) fails as not found.
    expect(worker.app.context.cache.has(v1.modelId)).toBe(true);
    predictWorker().resume();
    const direct = await worker.queues.predict.add('predict', { model: v1.modelId, horizon: 2 }, { jobId: createJobId('predict'), attempts: 1 });
    await expect(direct.waitUntilFinished(worker.events.predict, 30_000)).rejects.toThrow(`model not found: ${v1.modelId}`);

    // The next training of the name gets a version never used before.
    expect((await trainOne()).version).toBe(4);
  });
});

describe('the store quota', () => {
  it('refuses an upload past it with used and limit (507), fails a training whose model does not fit without retries, and frees on deletion', async () => {
    const store = api.services.store as MeteredArtifactStore;
    const { usedBytes } = await store.usage();
    // A text dataset that leaves about 300 bytes: too little for any model.
    const padding = 'all the world is a stage\n'.repeat(Math.floor((QUOTA - usedBytes - 300) / 25));
    const filler = await call({ method: 'POST', url: '/v1/datasets?kind=text&name=filler.txt', headers: { 'content-type': 'text/plain' }, payload: padding });
    expect(filler.statusCode, filler.body).toBe(201);

    const refused = await call({ method: 'POST', url: '/v1/datasets?name=more.csv&series=more', headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(closes(60)) });
    expect(refused.statusCode).toBe(507);
    expect(refused.json().error).toBe('Insufficient Storage');
    expect(refused.json().message).toMatch(/the artifact store is full: datasets\/ds_\w+\/data\.csv needs \d+ bytes, \d+ of 400000 are used \(STORE_QUOTA_BYTES\)/);
    expect(refused.json().details).toMatchObject({ usedBytes: (await store.usage()).usedBytes, quotaBytes: QUOTA });

    const train = await call({ method: 'POST', url: '/v1/train', payload: { kind: 'price', architecture: 'linear', dataset: 'vega-stocks', series: 'MSFT', name: 'ret-full', horizon: 3 } });
    const job = await jobOf('train', train.json().jobId);
    const outcome = await finished(job);
    expect(outcome.ok).toBe(false);
    const failed = await call({ method: 'GET', url: `/v1/jobs/${job.id}` });
    expect(failed.json()).toMatchObject({ state: 'failed', attempts: { made: 1, max: 3 } }); // not retried
    expect(failed.json().error).toMatch(/^the artifact store is full: models\/m_tr_\w+\/\S+ needs \d+ bytes/);
    expect(existsSync(path.join(worker.storeDir, 'models', `m_${job.id}`, 'weights.bin'))).toBe(false);

    const freed = await call({ method: 'DELETE', url: `/v1/datasets/${filler.json().id}` });
    expect(freed.json().store.usedBytes).toBe(usedBytes);
    const again = await call({ method: 'POST', url: '/v1/datasets?name=more.csv&series=more', headers: { 'content-type': 'text/csv' }, payload: toCoinCsv(closes(60)) });
    expect(again.statusCode).toBe(201);
  });
});

describe('errors never show file system paths', () => {
  it('a dataset whose stored file cannot be read: the API answer and the failed job name the dataset, not the path', async () => {
    const id = await uploadPrices('retention-broken', 120);
    // Its folder becomes a file: reading datasets/<id>/data.csv fails with ENOTDIR, whose message holds the path.
    const folder = path.join(worker.storeDir, 'datasets', id);
    await rm(folder, { recursive: true });
    await writeFile(folder, 'not a folder');

    const answer = await call({ method: 'POST', url: '/v1/train', payload: { kind: 'price', architecture: 'linear', dataset: id, series: 'retention-broken' } });
    expect(answer.statusCode).toBe(500);
    expect(answer.json().message).toBe(`the artifact store could not read datasets/${id}/data.csv (ENOTDIR)`);

    const job = await worker.queues.train.add('train', { kind: 'price', architecture: 'linear', dataset: id, series: 'retention-broken' }, { jobId: createJobId('train'), attempts: 1 });
    expect((await finished(job)).ok).toBe(false);
    const view = (await call({ method: 'GET', url: `/v1/jobs/${job.id}` })).json();
    expect(view.error).toBe(`the artifact store could not read datasets/${id}/data.csv (ENOTDIR)`);
    expect((await jobOf('train', job.id!)).failedReason).not.toContain(worker.storeDir);

    // A model save under a models "folder" that is a file: the failure is retried as transient, and says which model.
    await rm(path.join(worker.storeDir, 'models'), { recursive: true, force: true });
    await writeFile(path.join(worker.storeDir, 'models'), 'not a folder');
    const save = await worker.queues.train.add('train', { kind: 'price', architecture: 'linear', dataset: 'vega-stocks', series: 'IBM' }, { jobId: createJobId('train'), attempts: 1 });
    expect((await finished(save)).ok).toBe(false);
    const saveView = (await call({ method: 'GET', url: `/v1/jobs/${save.id}` })).json();
    expect(saveView.error).toMatch(new RegExp(`^the artifact store could not write models/m_${save.id}/\\S+ \\(ENOTDIR\\)$`));
    await rm(path.join(worker.storeDir, 'models'));
    await mkdir(path.join(worker.storeDir, 'models'));
  });

  it('in no answer of this file', () => {
    expect(bodies.length).toBeGreaterThan(15);
    for (const body of bodies) {
      expect(body).not.toContain(worker.storeDir);
      expect(body).not.toContain(process.cwd());
    }
  });
});
