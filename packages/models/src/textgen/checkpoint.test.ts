import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { memoryArtifacts, type ArtifactIO } from '../io.ts';
import { TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import { readTextCheckpointState } from './checkpoint.ts';
import { loadTextModel } from './text-model.ts';
import { trainTextModel, type TextTrainingCheckpoint, type TextTrainProgress, type TrainTextModelOptions } from './train.ts';

beforeAll(() => initBackend('auto'));

const corpus = readFileSync(new URL('./fixtures/tiny-shakespeare-excerpt.txt', import.meta.url), 'utf8').slice(0, 8000);
// 7,200 training characters → 224 windows of 32 → 7 steps per epoch; 21 in all. Dropout is on:
// its masks are seeded per step, so even they repeat exactly after a resume.
const params = { cell: 'gru', layers: 2, units: 24, seqLength: 32, batchSize: 32, learningRate: 0.01, dropout: 0.1, validationSplit: 0.1, epochs: 3, checkpointEverySteps: 5 } as const;
const base: TrainTextModelOptions = { params, seed: 11, sampleLength: 40 };

/** Trains, recording the steps reported and the epoch metrics; returns the final weights as arrays. */
async function train(options: TrainTextModelOptions) {
  const steps: number[] = [];
  const epochs: TextTrainProgress[] = [];
  const model = await trainTextModel(corpus, { ...base, ...options, onStep: (p) => void steps.push(p.step), onEpochEnd: (p) => void epochs.push(p) });
  const io = memoryArtifacts();
  await model.save(io);
  const weights = savedWeights(io);
  const metrics = model.metrics;
  model.dispose();
  return { steps, epochs, weights, metrics };
}

/** The saved weights.bin as floats: what a resumed and an uninterrupted run must agree on. */
function savedWeights(io: ReturnType<typeof memoryArtifacts>): number[] {
  return Array.from(new Float32Array(io.files.get('weights.bin')!.slice().buffer));
}

describe('checkpoints and resume', () => {
  it('resumes from a mid-epoch or an epoch-end checkpoint to the weights of an uninterrupted run', async () => {
    const baseline = tf.memory().numTensors;
    const uninterrupted = await train({});
    expect(uninterrupted.steps).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));

    // Interrupted: every checkpoint saved under its step; aborted right after the one at step 10.
    const saved = new Map<number, ReturnType<typeof memoryArtifacts>>();
    const hooks: Array<Pick<TextTrainingCheckpoint, 'reason' | 'step' | 'epochsDone'>> = [];
    const controller = new AbortController();
    const interrupted = trainTextModel(corpus, {
      ...base,
      signal: controller.signal,
      checkpoint: async (checkpoint) => {
        hooks.push({ reason: checkpoint.reason, step: checkpoint.step, epochsDone: checkpoint.epochsDone });
        const io = memoryArtifacts();
        await checkpoint.save(io);
        saved.set(checkpoint.step, io);
        if (checkpoint.step === 10) controller.abort('preempted');
      },
    });
    await expect(interrupted).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(hooks).toEqual([
      { reason: 'interval', step: 5, epochsDone: 0 },
      { reason: 'epoch', step: 7, epochsDone: 1 },
      { reason: 'interval', step: 10, epochsDone: 1 },
    ]);
    expect(tf.memory().numTensors).toBe(baseline);

    const midEpoch = saved.get(10)!;
    expect([...midEpoch.files.keys()].sort()).toEqual(['checkpoint.json', 'metadata.json', 'model.json', 'optimizer.bin', 'weights.bin']);
    expect(await readTextCheckpointState(midEpoch)).toMatchObject({ seed: 11, position: { step: 10, epoch: 1, batchInEpoch: 3 }, optimizer: { step: 10 } });

    const fromMidEpoch = await train({ resumeFrom: midEpoch });
    expect(fromMidEpoch.steps).toEqual(Array.from({ length: 11 }, (_, i) => i + 11)); // 11…21: on from the checkpoint, not from zero
    expect(fromMidEpoch.weights).toEqual(uninterrupted.weights);
    expect(fromMidEpoch.metrics).toEqual(uninterrupted.metrics);
    expect(fromMidEpoch.epochs.map((p) => p.sample)).toEqual(uninterrupted.epochs.slice(1).map((p) => p.sample));

    const fromEpochEnd = await train({ resumeFrom: saved.get(7)! });
    expect(fromEpochEnd.steps[0]).toBe(8);
    expect(fromEpochEnd.weights).toEqual(uninterrupted.weights);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('aborted between checkpoints (a worker releasing the job), it offers a checkpoint of that step, and resumes from it exactly', async () => {
    const baseline = tf.memory().numTensors;
    const uninterrupted = await train({});
    const hooks: Array<Pick<TextTrainingCheckpoint, 'reason' | 'step'>> = [];
    let released: ReturnType<typeof memoryArtifacts> | undefined;
    const controller = new AbortController();
    const run = trainTextModel(corpus, {
      ...base,
      signal: controller.signal,
      onStep: (p) => void (p.step === 9 && controller.abort('shutdown')),
      checkpoint: async (checkpoint) => {
        hooks.push({ reason: checkpoint.reason, step: checkpoint.step });
        if (checkpoint.reason !== 'abort') return;
        released = memoryArtifacts();
        await checkpoint.save(released);
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(hooks).toEqual([
      { reason: 'interval', step: 5 },
      { reason: 'epoch', step: 7 },
      { reason: 'abort', step: 9 },
    ]);
    expect(tf.memory().numTensors).toBe(baseline);
    const resumed = await train({ resumeFrom: released! });
    expect(resumed.steps[0]).toBe(10);
    expect(resumed.weights).toEqual(uninterrupted.weights);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('a checkpoint loads as a model, and can extend a finished run with more epochs', async () => {
    const baseline = tf.memory().numTensors;
    let last: ArtifactIO | undefined;
    const model = await trainTextModel(corpus, {
      ...base,
      params: { ...params, epochs: 1, checkpointEverySteps: 0 },
      checkpoint: async (c) => {
        last = memoryArtifacts();
        await c.save(last);
      },
    });
    const fromCheckpoint = await loadTextModel(last!);
    const options = { seedText: 'ROMEO:', length: 30, randomSeed: 4 };
    expect(await fromCheckpoint.generate(options)).toBe(await model.generate(options));
    expect(fromCheckpoint.metrics.epochs).toBe(1);
    fromCheckpoint.dispose();
    model.dispose();

    const steps: number[] = [];
    const extended = await trainTextModel(corpus, { resumeFrom: last!, params: { epochs: 2 }, sampleLength: 0, onStep: (p) => void steps.push(p.step) });
    expect(steps).toEqual([8, 9, 10, 11, 12, 13, 14]);
    expect(extended.metrics.history.map((h) => h.epoch)).toEqual([1, 2]);
    extended.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses to resume on another text or with other parameters, and notices NaN weights', async () => {
    const baseline = tf.memory().numTensors;
    let checkpointIo: ReturnType<typeof memoryArtifacts> | undefined;
    const controller = new AbortController();
    await expect(
      trainTextModel(corpus, {
        ...base,
        signal: controller.signal,
        checkpoint: async (c) => {
          checkpointIo = memoryArtifacts();
          await c.save(checkpointIo);
          controller.abort();
        },
      }),
    ).rejects.toBeInstanceOf(TrainingCancelledError);

    await expect(trainTextModel(corpus.slice(1), { resumeFrom: checkpointIo! })).rejects.toThrow(/the checkpoint was trained on another text/);
    await expect(trainTextModel(corpus, { resumeFrom: checkpointIo!, params: { units: 32 } })).rejects.toMatchObject({ name: 'ModelConfigError', field: 'units' });
    await expect(trainTextModel(corpus, { resumeFrom: checkpointIo!, seed: 12 })).rejects.toMatchObject({ name: 'ModelConfigError', field: 'seed' });
    await expect(trainTextModel(corpus, { resumeFrom: memoryArtifacts() })).rejects.toThrow(/checkpoint.json cannot be read/);

    const poisoned = memoryArtifacts(new Map(checkpointIo!.files));
    poisoned.files.set('weights.bin', new Uint8Array(new Float32Array(checkpointIo!.files.get('weights.bin')!.byteLength / 4).fill(Number.NaN).buffer));
    await expect(trainTextModel(corpus, { resumeFrom: poisoned })).rejects.toThrow(new TrainingDivergedError('training diverged at step 6: loss NaN; try a lower learningRate (was 0.01)'));

    const truncated = memoryArtifacts(new Map(checkpointIo!.files));
    truncated.files.set('optimizer.bin', new Uint8Array(8));
    await expect(trainTextModel(corpus, { resumeFrom: truncated })).rejects.toThrow(/optimizer.bin has 8 bytes/);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('writes standard tfjs layers artifacts', async () => {
    let io: ReturnType<typeof memoryArtifacts> | undefined;
    const model = await trainTextModel(corpus, {
      ...base,
      params: { ...params, epochs: 1 },
      checkpoint: async (c) => {
        if (c.reason === 'epoch') await c.save((io = memoryArtifacts()));
      },
    });
    const json = JSON.parse(new TextDecoder().decode(io!.files.get('model.json')));
    const network = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: io!.files.get('weights.bin')!.slice().buffer }),
    );
    // predict on one-hot characters gives next-character logits over the vocabulary.
    const logits = tf.tidy(() => network.predict(tf.oneHot(tf.tensor2d([[0, 1, 2]], [1, 3], 'int32'), model.vocabulary.size).toFloat()) as tf.Tensor);
    expect(logits.shape).toEqual([1, 3, model.vocabulary.size]);
    tf.dispose([logits]);
    network.dispose();
    model.dispose();
  });
});
