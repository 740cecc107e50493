import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue, QueueEvents } from 'bullmq';
import * as tf from '@tensorflow/tfjs-core';
import { smallTalkPairs } from '@mlq/models';
import {
  cancelChannel,
  createJobId,
  DatasetRegistry,
  FileSystemArtifactStore,
  jobCatalog,
  type DatasetRecord,
  type Seq2SeqPredictResult,
  type Seq2SeqTrainResult,
  type TextGenPredictResult,
  type TextGenTrainResult,
} from '@mlq/jobs';
import { startInProcessWorker, type InProcessWorker } from './testing/in-process-worker.ts';
import type { WorkerApp } from './worker-app.ts';

const corpus = readFileSync(new URL('../../../packages/models/src/textgen/fixtures/tiny-shakespeare-excerpt.txt', import.meta.url));

let worker: InProcessWorker;
let app: WorkerApp;
let storeDir: string;
let queues: { train: Queue; predict: Queue };
let events: { train: QueueEvents; predict: QueueEvents };

/** Registers an uploaded dataset the way the API does: the file in the store, the record in Redis. */
async function addDataset(record: DatasetRecord, bytes: Uint8Array): Promise<void> {
  await new FileSystemArtifactStore(storeDir).put(record.artifactKey!, bytes);
  await new DatasetRegistry(worker.connection, worker.redis.prefix).add(record);
}

beforeAll(async () => {
  worker = await startInProcessWorker();
  ({ app, storeDir, queues, events } = worker);
  const now = new Date().toISOString();
  await addDataset(
    {
      id: 'ds_excerpt',
      name: 'excerpt.txt',
      kind: 'text',
      source: 'upload',
      description: '',
      format: 'text',
      createdAt: now,
      artifactKey: 'datasets/ds_excerpt/corpus.txt',
      summary: { bytes: corpus.length, characters: corpus.length, distinctCharacters: 60, lines: 700, unigramBitsPerChar: 4.5 },
    },
    corpus,
  );
  await addDataset(
    {
      id: 'ds_smalltalk',
      name: 'pairs.json',
      kind: 'pairs',
      source: 'upload',
      description: '',
      format: 'json',
      createdAt: now,
      artifactKey: 'datasets/ds_smalltalk/pairs.json',
      summary: { pairs: smallTalkPairs.length, source: 'json', examples: [] },
    },
    new TextEncoder().encode(JSON.stringify({ pairs: smallTalkPairs })),
  );
});
afterAll(() => worker?.close());

const train = async <R>(data: Record<string, unknown>) => {
  const job = await queues.train.add('train', data, { ...jobCatalog.train.options, jobId: createJobId('train') });
  return { job, result: (await job.waitUntilFinished(events.train, 90_000)) as R };
};
const predict = async <R>(data: Record<string, unknown>) => {
  const job = await queues.predict.add('predict', data, { jobId: createJobId('predict') });
  return (await job.waitUntilFinished(events.predict, 30_000)) as R;
};

describe('worker: textgen and seq2seq jobs', () => {
  it('textgen: trains with checkpoints, leaks no tensors across 100 generations, and removes its checkpoints', async () => {
    const baseline = tf.memory().numTensors;
    const { job, result } = await train<TextGenTrainResult>({
      kind: 'textgen',
      dataset: 'ds_excerpt',
      params: { units: 32, seqLength: 24, batchSize: 32, epochs: 1, checkpointEverySteps: 5, learningRate: 0.01 },
      seed: 3,
      sampleLength: 40,
    });
    expect(result).toMatchObject({ kind: 'textgen', architecture: 'gru', epochs: 1, resumedFromStep: null });
    expect(result.sample).toHaveLength(40);
    expect(result.metrics.valBitsPerChar).toBeLessThan(result.metrics.unigramBitsPerChar);
    expect(await new FileSystemArtifactStore(storeDir).exists(`checkpoints/${job.id}`)).toBe(false);
    const withModel = tf.memory().numTensors;
    expect(withModel).toBeGreaterThan(baseline);

    const texts: TextGenPredictResult[] = [];
    for (let i = 0; i < 100; i++) texts.push(await predict<TextGenPredictResult>({ model: result.modelId, seedText: 'ROMEO:', length: 5, randomSeed: i % 2 }));
    expect(texts.every((t) => t.cached && Array.from(t.text).length === 5)).toBe(true);
    expect(new Set(texts.map((t) => t.text)).size).toBeLessThanOrEqual(2); // two seeds, two texts
    expect(tf.memory().numTensors).toBe(withModel);
    app.context.cache.clear();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('textgen: an attempt that finds a checkpoint continues from its step', async () => {
    const params = { units: 16, seqLength: 24, batchSize: 32, epochs: 1, checkpointEverySteps: 4 };
    // A first job runs to its end; a second with the same payload is given the first's mid-run
    // checkpoint (as a crashed attempt would leave it) before it starts.
    const store = new FileSystemArtifactStore(storeDir);
    const jobId = createJobId('train');
    const first = await queues.train.add('train', { kind: 'textgen', dataset: 'ds_excerpt', params, seed: 5, sampleLength: 0 }, { jobId: createJobId('train') });
    const seenCheckpoints: number[] = [];
    const probe = setInterval(() => {
      void store.get(`checkpoints/${first.id}/latest.json`).then(
        async (bytes) => {
          const { step, prefix } = JSON.parse(new TextDecoder().decode(bytes)) as { step: number; prefix: string };
          if (seenCheckpoints.length === 0 && step >= 4) {
            seenCheckpoints.push(step);
            for (const name of ['model.json', 'weights.bin', 'metadata.json', 'optimizer.bin', 'checkpoint.json']) {
              await store.put(`checkpoints/${jobId}/${prefix.split('/').at(-1)}/${name}`, await store.get(`${prefix}/${name}`));
            }
            await store.put(`checkpoints/${jobId}/latest.json`, new TextEncoder().encode(JSON.stringify({ step, prefix: `checkpoints/${jobId}/${prefix.split('/').at(-1)}` })));
          }
        },
        () => undefined,
      );
    }, 5);
    const full = (await first.waitUntilFinished(events.train, 90_000)) as TextGenTrainResult;
    clearInterval(probe);
    expect(seenCheckpoints.length).toBe(1);

    const resumed = await queues.train.add('train', { kind: 'textgen', dataset: 'ds_excerpt', params, seed: 5, sampleLength: 0 }, { jobId });
    const result = (await resumed.waitUntilFinished(events.train, 90_000)) as TextGenTrainResult;
    expect(result.resumedFromStep).toBe(seenCheckpoints[0]);
    expect(result.steps).toBe(full.steps);
    // Same seed, same data order, same dropout masks: the resumed run ends where the full one did.
    expect(result.metrics.valLoss).toBeCloseTo(full.metrics.valLoss!, 5);
    app.context.cache.clear();
  });

  it('textgen: a cancelled training leaves no checkpoint behind', async () => {
    const store = new FileSystemArtifactStore(storeDir);
    const job = await queues.train.add(
      'train',
      { kind: 'textgen', dataset: 'ds_excerpt', params: { units: 16, seqLength: 24, epochs: 50, checkpointEverySteps: 2 }, sampleLength: 0 },
      { ...jobCatalog.train.options, jobId: createJobId('train') },
    );
    while (!(await store.exists(`checkpoints/${job.id}/latest.json`))) await new Promise((resolve) => setTimeout(resolve, 20));
    await worker.connection.publish(cancelChannel(worker.redis.prefix), job.id!);
    await expect(job.waitUntilFinished(events.train, 30_000)).rejects.toThrow('cancelled');
    expect(await store.exists(`checkpoints/${job.id}`)).toBe(false);
    app.context.cache.clear();
  });

  it('seq2seq: trains, replies greedy and beam, leaks no tensors across 100 replies', async () => {
    const baseline = tf.memory().numTensors;
    const { result } = await train<Seq2SeqTrainResult>({
      kind: 'seq2seq',
      dataset: 'ds_smalltalk',
      params: { embeddingSize: 16, units: 32, epochs: 3, batchSize: 8, validationSplit: 0, probes: ['hi'] },
      seed: 1,
    });
    expect(result).toMatchObject({ kind: 'seq2seq', architecture: 'lstm-encoder-decoder', epochs: 3, pairs: { training: smallTalkPairs.length, validation: 0, skipped: 0 } });
    expect(result.probes).toEqual([{ input: 'hi', reply: expect.any(String) }]);
    const withModel = tf.memory().numTensors;

    const replies: Seq2SeqPredictResult[] = [];
    for (let i = 0; i < 100; i++) {
      replies.push(
        await predict<Seq2SeqPredictResult>(
          i % 2 ? { model: result.modelId, message: 'hi there' } : { model: result.modelId, message: 'xyzzy qwerty', strategy: 'beam', beamWidth: 3, n: 2 },
        ),
      );
    }
    expect(replies.every((r) => r.cached && r.replies.length >= 1 && r.reply === r.replies[0]!.text)).toBe(true);
    expect(replies[0]).toMatchObject({ strategy: 'beam', unknownWords: ['xyzzy', 'qwerty'] });
    expect(replies[0]!.replies.length).toBeLessThanOrEqual(2);
    expect(replies.flatMap((r) => r.replies.flatMap((reply) => reply.tokens)).some((t) => ['<pad>', '<start>', '<end>', '<unk>'].includes(t))).toBe(false);
    expect(tf.memory().numTensors).toBe(withModel);
    app.context.cache.clear();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('fails a job at once, naming the problem, for a dataset of the wrong kind or a field of another kind', async () => {
    const wrongKind = await queues.train.add('train', { kind: 'textgen', dataset: 'ds_smalltalk' }, { jobId: createJobId('train'), attempts: 3 });
    await expect(wrongKind.waitUntilFinished(events.train, 30_000)).rejects.toThrow('dataset ds_smalltalk holds pairs; a textgen model needs a text dataset');
    expect((await queues.train.getJob(wrongKind.id!))!.attemptsMade).toBe(1);
    const { models } = await app.context.models.list({ offset: 0, limit: 10 });
    const chat = models.find((m) => m.kind === 'seq2seq')!;
    const misfit = await queues.predict.add('predict', { model: chat.id, horizon: 3 }, { jobId: createJobId('predict'), attempts: 2 });
    await expect(misfit.waitUntilFinished(events.predict, 30_000)).rejects.toThrow(/horizon applies to price models/);
  });
});
