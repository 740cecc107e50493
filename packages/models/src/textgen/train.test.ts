import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../backend.ts';
import { TrainingCancelledError } from '../errors.ts';
import { unigramEntropyBits } from './metrics.ts';
import { trainTextModel, type TextTrainProgress, type TextTrainStep } from './train.ts';

beforeAll(() => initBackend('auto'));

const corpus = readFileSync(new URL('./fixtures/tiny-shakespeare-excerpt.txt', import.meta.url), 'utf8');
// CI-sized: a few seconds per epoch on two cores with wasm.
const small = { cell: 'gru', layers: 1, units: 64, seqLength: 32, batchSize: 32, learningRate: 0.01, validationSplit: 0.1 } as const;

describe('trainTextModel', () => {
  it('learns Shakespeare: validation bits per character fall clearly below the unigram entropy', async () => {
    const baseline = tf.memory().numTensors;
    const epochs: TextTrainProgress[] = [];
    const steps: TextTrainStep[] = [];
    const model = await trainTextModel(corpus, {
      params: { ...small, epochs: 4 },
      seed: 1,
      sampleLength: 120,
      onStep: (p) => void steps.push(p),
      onEpochEnd: (p) => void epochs.push(p),
    });
    const unigram = unigramEntropyBits(corpus.slice(0, corpus.length - Math.floor(corpus.length * 0.1)));
    const last = epochs.at(-1)!;
    expect(model.metrics.unigramBitsPerChar).toBeCloseTo(unigram, 10);
    expect(last.valBitsPerChar!).toBeLessThan(unigram - 1);
    expect(last.valBitsPerChar!).toBeCloseTo(last.valLoss! / Math.LN2, 10);
    expect(epochs.map((p) => p.epoch)).toEqual([1, 2, 3, 4]);
    expect(epochs[3]!.loss).toBeLessThan(epochs[0]!.loss);
    expect(epochs.every((p) => p.sample.length === 120 && p.epochs === 4)).toBe(true);

    // ~17,997 training characters → 562 windows of 32 → 18 batches of 32 per epoch.
    const stepsPerEpoch = Math.ceil((Math.floor((corpus.length - Math.floor(corpus.length * 0.1) - 33) / 32) + 1) / 32);
    expect(steps.map((p) => p.step)).toEqual(Array.from({ length: 4 * stepsPerEpoch }, (_, i) => i + 1));
    expect(steps.every((p) => p.steps === 4 * stepsPerEpoch && p.stepsPerEpoch === stepsPerEpoch && Number.isFinite(p.loss))).toBe(true);
    expect(last.step).toBe(4 * stepsPerEpoch);

    expect(model.metrics).toMatchObject({ epochs: 4, steps: 4 * stepsPerEpoch, valLoss: last.valLoss, loss: last.loss });
    expect(model.metrics.history).toHaveLength(4);
    expect(model.metadata.vocabulary.join('')).toBe([...new Set(corpus)].sort().join(''));
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('stops at the next batch when its signal aborts mid-epoch: the event loop runs between batches', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    let stepsDone = 0;
    // Fires from the event loop while training runs; it could not if an epoch blocked the loop.
    const timer = setTimeout(() => controller.abort(new Error('timeout')), 300);
    const run = trainTextModel(corpus, { params: { ...small, batchSize: 2, epochs: 100 }, signal: controller.signal, onStep: () => void stepsDone++ });
    await expect(run).rejects.toMatchObject({ name: 'TrainingCancelledError', reason: new Error('timeout') });
    clearTimeout(timer);
    expect(stepsDone).toBeGreaterThan(0);
    expect(stepsDone).toBeLessThan(500); // an epoch is ~280 batches of 2
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('cancels from inside a callback and leaves no tensor behind', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const epochs: number[] = [];
    const run = trainTextModel(corpus, {
      params: { ...small, epochs: 50 },
      signal: controller.signal,
      onEpochEnd: (p) => {
        epochs.push(p.epoch);
        controller.abort('user');
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(epochs).toEqual([1]);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('trains an LSTM with dropout and no validation part', async () => {
    const baseline = tf.memory().numTensors;
    const epochs: TextTrainProgress[] = [];
    const model = await trainTextModel(corpus.slice(0, 6000), {
      params: { ...small, cell: 'lstm', layers: 2, units: 16, dropout: 0.2, validationSplit: 0, epochs: 1 },
      seed: 2,
      sampleLength: 0,
      onEpochEnd: (p) => void epochs.push(p),
    });
    expect(epochs).toEqual([expect.objectContaining({ epoch: 1, valLoss: null, valBitsPerChar: null, sample: '' })]);
    expect(Number.isFinite(epochs[0]!.loss)).toBe(true);
    expect(model.params).toMatchObject({ cell: 'lstm', layers: 2, dropout: 0.2 });
    model.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('learns as well with each batch split across 2 threads, and the same seed repeats the same run; no tensor left', async () => {
    const baseline = tf.memory().numTensors;
    const run = async () => {
      const epochs: TextTrainProgress[] = [];
      const model = await trainTextModel(corpus, { params: { ...small, dropout: 0.1, epochs: 4 }, seed: 1, sampleLength: 0, threads: 2, onEpochEnd: (p) => void epochs.push(p) });
      const text = await model.generate({ seedText: 'ROMEO:', length: 80, randomSeed: 5 });
      model.dispose();
      return { epochs, text };
    };
    const [a, b] = [await run(), await run()];
    const unigram = unigramEntropyBits(corpus.slice(0, corpus.length - Math.floor(corpus.length * 0.1)));
    expect(a.epochs.at(-1)!.valBitsPerChar!).toBeLessThan(unigram - 1);
    expect(b.epochs.map((p) => p.loss)).toEqual(a.epochs.map((p) => p.loss));
    expect(b.text).toEqual(a.text);
    expect(tf.memory().numTensors).toBe(baseline);
  });
});
