import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { memoryArtifacts } from '../io.ts';
import { ModelConfigError, ModelError, TrainingCancelledError } from '../errors.ts';
import { interruptedRun } from '../checkpoint/testing.ts';
import { loadChatModel } from './chat-model.ts';
import { readChatCheckpoint } from './checkpoint.ts';
import { disposeNetwork } from './model.ts';
import { smallTalkPairs } from './small-talk.ts';
import { trainChatModel, type Seq2SeqProgress, type TrainChatModelOptions } from './train.ts';

beforeAll(() => initBackend('auto'));

// Dropout 0: tfjs' dropout masks are not seeded; the split, vocabulary and batch order are.
const params = { embeddingSize: 8, units: 12, epochs: 3, batchSize: 8, learningRate: 0.01, dropout: 0, validationSplit: 0.1, maxInputLength: 8, maxReplyLength: 6, probes: ['hi'] };
const pairs = smallTalkPairs;
const base: TrainChatModelOptions = { params, seed: 5 };

async function train(options: Partial<TrainChatModelOptions>) {
  const epochs: Seq2SeqProgress[] = [];
  const model = await trainChatModel(pairs, { ...base, ...options, onEpochEnd: (p) => void epochs.push(p) });
  const io = memoryArtifacts();
  await model.save(io);
  const weights = Array.from(new Float32Array(io.files.get('weights.bin')!.slice().buffer));
  const { metrics } = model;
  model.dispose();
  return { epochs, weights, metrics };
}

describe('seq2seq checkpoints', () => {
  it('resumes from an epoch-end or a released mid-epoch checkpoint to the weights of an uninterrupted run', async () => {
    const baseline = tf.memory().numTensors;
    const uninterrupted = await train({});
    expect(uninterrupted.epochs.map((p) => p.epoch)).toEqual([1, 2, 3]);

    const { saved, hooks, options } = interruptedRun(2);
    const interrupted = trainChatModel(pairs, { ...base, ...options });
    await expect(interrupted).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(hooks[0]).toMatchObject({ reason: 'epoch', epochsDone: 1 });
    expect(hooks[1]).toMatchObject({ reason: 'abort', epochsDone: 1 });
    expect(hooks[1]!.step).toBeGreaterThan(hooks[0]!.step);
    expect(hooks[1]!.step).toBeLessThan(2 * hooks[0]!.step);
    expect(tf.memory().numTensors).toBe(baseline);

    const released = saved.get('abort')!;
    const read = await readChatCheckpoint(released);
    disposeNetwork(read.network);
    expect(read.state).toMatchObject({ seed: 5, position: { epoch: 1, step: hooks[1]!.step, batchInEpoch: hooks[1]!.step - hooks[0]!.step }, optimizer: { step: hooks[1]!.step } });
    // A checkpoint loads as a chat model (its weights where the run stood).
    const asModel = await loadChatModel(released);
    expect(asModel.reply('hi').text.length).toBeGreaterThan(0);
    asModel.dispose();

    const fromRelease = await train({ resumeFrom: released });
    expect(fromRelease.epochs.map((p) => p.epoch)).toEqual([2, 3]);
    expect(fromRelease.weights).toEqual(uninterrupted.weights);
    expect(fromRelease.metrics).toEqual(uninterrupted.metrics);

    const fromEpochEnd = await train({ resumeFrom: saved.get('epoch')! });
    expect(fromEpochEnd.epochs).toEqual(uninterrupted.epochs.slice(1));
    expect(fromEpochEnd.weights).toEqual(uninterrupted.weights);
    expect(tf.memory().numTensors).toBe(baseline);
  }, 60_000);

  it('refuses to resume on other pairs or with other parameters', async () => {
    const saved = memoryArtifacts();
    const model = await trainChatModel(pairs, { ...base, params: { ...params, epochs: 1 }, checkpoint: (checkpoint) => checkpoint.save(saved) });
    model.dispose();
    const baseline = tf.memory().numTensors;
    await expect(trainChatModel(pairs.slice(1), { ...base, resumeFrom: saved })).rejects.toThrow(new ModelError('resumeFrom: the checkpoint was trained on other pairs'));
    await expect(trainChatModel(pairs, { ...base, params: { ...params, units: 13 }, resumeFrom: saved })).rejects.toBeInstanceOf(ModelConfigError);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
