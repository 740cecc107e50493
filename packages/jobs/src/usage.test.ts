import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startTestRedis, type TestRedis } from '../../../test/harness/redis.ts';
import { DatasetNotFoundError } from './datasets.ts';
import { DatasetRegistry, ModelNotFoundError, ModelRegistry, type DatasetRecord, type NewModelRecord } from './registry.ts';
import { BuiltinDatasetError, ResourceInUseError, trainingUses, UsageIndex } from './usage.ts';

let redis: TestRedis;
let client: Redis;
let queue: Queue;
let usage: UsageIndex;
let datasets: DatasetRegistry;
let models: ModelRegistry;

beforeAll(async () => {
  redis = await startTestRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: null });
  queue = new Queue('train', { connection: client, prefix: redis.prefix });
  usage = new UsageIndex(client, redis.prefix);
  datasets = new DatasetRegistry(client, redis.prefix);
  models = new ModelRegistry(client, redis.prefix);
});
afterAll(async () => {
  await queue?.close();
  client?.disconnect();
  await redis?.close();
});

const dataset = (id: string): DatasetRecord => ({
  id,
  name: `${id}.csv`,
  kind: 'prices',
  source: 'upload',
  description: '',
  format: 'long',
  createdAt: new Date().toISOString(),
  artifactKey: `datasets/${id}/data.csv`,
  summary: { format: 'long', seriesCount: 0, rowCount: 0, series: [] },
});
const model = (id: string, name: string): NewModelRecord => ({
  id,
  name,
  kind: 'price',
  architecture: 'linear',
  dataset: 'd',
  series: 's',
  params: {},
  metrics: { rmse: 0.123456789012345 },
  horizon: 1,
  lastDate: null,
  dateStepDays: 1,
  artifactStore: 'file:///store',
  artifactPrefix: `models/${id}`,
  byteSize: 1,
  backend: 'cpu',
  trainJobId: id,
});
let next = 0;
const jobId = () => `tr_usage${++next}`;

describe('UsageIndex (real Redis, real BullMQ jobs)', () => {
  it('refuses to delete a dataset while a waiting job uses it, and deletes it once the job is gone', async () => {
    await datasets.add(dataset('ds_a'));
    const id = jobId();
    const job = await usage.enqueue({ queue: 'train', id }, [{ type: 'dataset', id: 'ds_a' }], () => queue.add('train', { dataset: 'ds_a' }, { jobId: id }));
    const refused = await usage.deleteDatasetRecord('ds_a').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ResourceInUseError);
    expect((refused as Error).message).toContain(`job ${id} (train queue)`);
    expect(await datasets.get('ds_a')).toBeDefined();
    await job.remove();
    expect((await usage.deleteDatasetRecord('ds_a')).id).toBe('ds_a');
    expect(await datasets.get('ds_a')).toBeUndefined();
    expect(await datasets.list()).toEqual([]);
    await expect(usage.deleteDatasetRecord('ds_a')).rejects.toBeInstanceOf(DatasetNotFoundError);
    // A job for it now is refused before it is added.
    await expect(usage.claim({ queue: 'train', id: jobId() }, [{ type: 'dataset', id: 'ds_a' }])).rejects.toBeInstanceOf(DatasetNotFoundError);
  });

  it('counts an active job as a user, and a finished one no more', async () => {
    await datasets.add(dataset('ds_b'));
    const id = jobId();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const active = new Promise<void>((resolve) => (started = resolve));
    const worker = new Worker(
      'train',
      async () => {
        started();
        await released;
        return 'done';
      },
      { connection: client.duplicate(), prefix: redis.prefix },
    );
    try {
      await usage.enqueue({ queue: 'train', id }, [{ type: 'dataset', id: 'ds_b' }], () => queue.add('train', {}, { jobId: id }));
      await active;
      expect(await queue.getJobState(id)).toBe('active');
      await expect(usage.deleteDatasetRecord('ds_b')).rejects.toBeInstanceOf(ResourceInUseError);
      const finished = new Promise((resolve) => worker.once('completed', resolve));
      release();
      await finished;
      expect((await usage.deleteDatasetRecord('ds_b')).id).toBe('ds_b');
      expect(await usage.users({ type: 'dataset', id: 'ds_b' })).toEqual([]);
    } finally {
      await worker.close();
    }
  });

  it('counts a claim whose job is still being added, and never lets a job and a deletion both win', async () => {
    await datasets.add(dataset('ds_c'));
    const id = jobId();
    await usage.claim({ queue: 'train', id }, [{ type: 'dataset', id: 'ds_c' }]);
    // No job yet (between the claim and queue.add): still a user.
    await expect(usage.deleteDatasetRecord('ds_c')).rejects.toBeInstanceOf(ResourceInUseError);
    await client.zadd(`${redis.prefix}:usage:dataset:ds_c`, 1, `train:${id}`); // claimed long ago, never added
    expect((await usage.deleteDatasetRecord('ds_c')).id).toBe('ds_c');

    // Enqueues and a deletion sent together, the deletion after 0…5 of the claims: Redis runs the
    // scripts in that order, so every interleaving of claims, adds and the deletion is tried.
    const outcomes = new Set<boolean>();
    for (let round = 0; round < 12; round++) {
      const dsId = `ds_race${round}`;
      await datasets.add(dataset(dsId));
      const enqueue = () => {
        const id = jobId();
        return usage
          .enqueue({ queue: 'train', id }, [{ type: 'dataset', id: dsId }], () => queue.add('train', { dataset: dsId }, { jobId: id }))
          .then(
            () => id,
            (error: unknown) => {
              expect(error).toBeInstanceOf(DatasetNotFoundError);
              return undefined;
            },
          );
      };
      const before = Array.from({ length: round % 6 }, enqueue);
      const deletion = usage.deleteDatasetRecord(dsId).then(
        () => true,
        (error: unknown) => {
          expect(error).toBeInstanceOf(ResourceInUseError);
          return false;
        },
      );
      const after = Array.from({ length: 5 - (round % 6) }, enqueue);
      const [deleted, ...added] = await Promise.all([deletion, ...before, ...after]);
      const jobs = added.filter((id) => id !== undefined);
      outcomes.add(deleted);
      // Either the dataset is gone and no job was added for it, or it stays with its jobs.
      if (deleted) {
        expect(jobs).toEqual([]);
        expect(await datasets.get(dsId)).toBeUndefined();
      } else {
        expect(jobs.length).toBeGreaterThan(0);
        expect(await datasets.get(dsId)).toBeDefined();
      }
      const waiting = (await queue.getJobs(['waiting'])).filter((job) => job.data.dataset === dsId);
      expect(waiting.length).toBe(jobs.length);
    }
    expect([...outcomes].sort()).toEqual([false, true]);
  });

  it('keeps each usage set near its live jobs: claims drop finished and vanished entries', async () => {
    await datasets.add(dataset('ds_busy'));
    for (let i = 0; i < 200; i++) {
      const id = jobId();
      // Finished at once: BullMQ's hash with finishedOn, as a completed job has (or removed, every third).
      await usage.enqueue({ queue: 'train', id }, [{ type: 'dataset', id: 'ds_busy' }], async () =>
        i % 3 === 0 ? undefined : client.hset(`${redis.prefix}:train:${id}`, 'finishedOn', Date.now()),
      );
    }
    expect((await usage.users({ type: 'dataset', id: 'ds_busy' })).length).toBeLessThan(20);
  });

  it('a chatbot training uses its word vectors too', () => {
    expect(trainingUses({ dataset: 'ds_pairs', wordVectors: 'ds_glove' })).toEqual([
      { type: 'dataset', id: 'ds_pairs' },
      { type: 'dataset', id: 'ds_glove' },
    ]);
    expect(trainingUses({ dataset: 'crypto-top100' })).toEqual([{ type: 'dataset', id: 'crypto-top100' }]);
  });

  it('built-in datasets are never recorded, and cannot be deleted', async () => {
    await usage.claim({ queue: 'train', id: jobId() }, [{ type: 'dataset', id: 'crypto-top100' }]);
    expect(await usage.users({ type: 'dataset', id: 'crypto-top100' })).toEqual([]);
    await expect(usage.deleteDatasetRecord('crypto-top100')).rejects.toBeInstanceOf(BuiltinDatasetError);
  });

  it('deletes all versions of a name or none, keeps the version counter, and keeps records exact', async () => {
    const v1 = await models.register(model('m_v1', 'btc'));
    const v2 = await models.register(model('m_v2', 'btc'));
    await models.register(model('m_eth', 'eth'));
    const id = jobId();
    const predictions = new Queue('predict', { connection: client, prefix: redis.prefix });
    await usage.enqueue({ queue: 'predict', id }, [{ type: 'model', id: v1.id }], () => predictions.add('predict', { model: v1.id }, { jobId: id }));
    expect(await models.idsToDelete('btc')).toEqual(['m_v1', 'm_v2']);
    const refused = await usage.deleteModelRecords(await models.idsToDelete('btc')).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ResourceInUseError);
    expect((await models.list({ offset: 0, limit: 10, name: 'btc' })).total).toBe(2); // none deleted
    // The latest alone is not in use.
    expect((await usage.deleteModelRecords(await models.idsToDelete('btc@latest'))).map((m) => m.id)).toEqual([v2.id]);
    expect((await models.resolve('btc')).id).toBe(v1.id);
    expect((await models.register(model('m_v3', 'btc'))).version).toBe(3); // versions are never reused
    await expect(usage.claim({ queue: 'predict', id: jobId() }, [{ type: 'model', id: v2.id }])).rejects.toBeInstanceOf(ModelNotFoundError);
    await (await predictions.getJob(id))!.remove(); // the prediction is gone (cancelled before it ran)
    const deleted = await usage.deleteModelRecords(await models.idsToDelete('btc'));
    expect(deleted.map((m) => m.id)).toEqual(['m_v1', 'm_v3']);
    expect(deleted[0]!.metrics).toEqual({ rmse: 0.123456789012345 });
    await expect(models.resolve('btc')).rejects.toBeInstanceOf(ModelNotFoundError);
    await expect(models.idsToDelete('btc')).rejects.toBeInstanceOf(ModelNotFoundError);
    expect((await models.list({ offset: 0, limit: 10 })).models.map((m) => m.id)).toEqual(['m_eth']);
    expect(await client.exists(`${redis.prefix}:registry:name:btc`)).toBe(0);
    expect((await models.register(model('m_v4', 'btc'))).version).toBe(4);
    await predictions.close();
  });
});
