import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { ModelError } from '../errors.ts';
import { createLstmLayer, FastLSTM } from '../recurrent/fast-layers.ts';
import { expectClose } from '../recurrent/testing.ts';
import { DataParallelGradients, replicaThreadStats } from './data-parallel.ts';
import { meanSquaredErrorObjective, splitTensorBatch } from './mean-squared-error.ts';
import { usableTrainingThreads } from './threads.ts';
import { ModelConfigError } from '../errors.ts';

beforeAll(() => initBackend('auto'));

const params = { window: 8, units1: 6, units2: 5, dropout: 0 };

/**
 * Input `[null, window, 1]` → LSTM(units1, returnSequences) → Dropout → LSTM(units2) → Dropout →
 * Dense(1), seeded: the price network's shape, built here so that this folder's tests need no family.
 */
function buildLstmStack(options: typeof params, seed: number): { model: tfl.LayersModel; optimizer: tf.Optimizer } {
  const glorot = (offset: number) => tfl.initializers.glorotUniform({ seed: seed + offset });
  const orthogonal = (offset: number) => tfl.initializers.orthogonal({ seed: seed + offset });
  const model = tfl.sequential({
    layers: [
      createLstmLayer({ units: options.units1, returnSequences: true, inputShape: [options.window, 1], kernelInitializer: glorot(1), recurrentInitializer: orthogonal(2) }),
      tfl.layers.dropout({ rate: options.dropout }),
      createLstmLayer({ units: options.units2, kernelInitializer: glorot(4), recurrentInitializer: orthogonal(5) }),
      tfl.layers.dropout({ rate: options.dropout }),
      tfl.layers.dense({ units: 1, kernelInitializer: glorot(7) }),
    ],
  });
  return { model, optimizer: tf.train.rmsprop(0.001) };
}

async function gradientsWith(threads: number, model: tfl.LayersModel, x: tf.Tensor, y: tf.Tensor) {
  const pool = await DataParallelGradients.start(model, threads, meanSquaredErrorObjective());
  try {
    expect(pool.threads).toBe(threads);
    const { loss, grads } = await pool.compute(splitTensorBatch(x, y, threads));
    return { loss, grads, names: Object.keys(grads), replicaTensors: pool.replicaTensors };
  } finally {
    await pool.close();
  }
}

describe('DataParallelGradients', () => {
  it.each([2, 3])('gives the whole batch’s loss and gradients with %i threads, as one thread does; no tensor left', async (threads) => {
    const { model, optimizer } = buildLstmStack(params, 11);
    const x = tf.randomNormal([37, params.window, 1], 0, 1, 'float32', 5); // 37 rows: unequal shards
    const y = tf.randomNormal([37, 1], 0, 1, 'float32', 6);
    const baseline = tf.memory().numTensors;
    const single = await gradientsWith(1, model, x, y);
    const parallel = await gradientsWith(threads, model, x, y);
    expect(parallel.names).toEqual(model.trainableWeights.map((w) => (w.read() as tf.Variable).name));
    expect(parallel.names).toEqual(single.names);
    expect(Math.abs(parallel.loss - single.loss) / single.loss).toBeLessThan(1e-5);
    for (const name of single.names) expectClose(parallel.grads[name]!, single.grads[name]!, name);
    tf.dispose([...Object.values(single.grads), ...Object.values(parallel.grads)]);
    expect(tf.memory().numTensors).toBe(baseline);
    expect(model.layers[0]).toBeInstanceOf(FastLSTM);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  it('keeps replica threads between trainings instead of booting new ones', async () => {
    const { model, optimizer } = buildLstmStack(params, 4);
    const [x, y] = [tf.randomNormal([8, params.window, 1]), tf.randomNormal([8, 1])];
    const first = await gradientsWith(3, model, x, y);
    tf.dispose(Object.values(first.grads));
    const before = replicaThreadStats();
    expect(before.idle).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 3; i++) {
      const again = await gradientsWith(3, model, x, y);
      tf.dispose(Object.values(again.grads));
      expect(again.replicaTensors).toEqual(first.replicaTensors); // each training's replica model freed
    }
    expect(replicaThreadStats()).toEqual(before);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  it('leaks no tensor on the replica threads across steps', async () => {
    const { model, optimizer } = buildLstmStack({ ...params, dropout: 0.2 }, 6);
    const [x, y] = [tf.randomNormal([24, params.window, 1]), tf.randomNormal([24, 1])];
    const pool = await DataParallelGradients.start(model, 3, meanSquaredErrorObjective());
    const counts: number[][] = [];
    for (let step = 0; step < 5; step++) {
      const { grads } = await pool.compute(splitTensorBatch(x, y, 3), step);
      optimizer.applyGradients(grads);
      tf.dispose(Object.values(grads));
      counts.push(pool.replicaTensors);
    }
    await pool.close();
    expect(counts[0]).toHaveLength(2);
    for (const count of counts) expect(count).toEqual(counts[0]);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  it('leaves replicas idle when a batch has fewer rows than threads', async () => {
    const { model, optimizer } = buildLstmStack(params, 2);
    const [x, y] = [tf.randomNormal([1, params.window, 1]), tf.randomNormal([1, 1])];
    const single = await gradientsWith(1, model, x, y);
    const parallel = await gradientsWith(3, model, x, y);
    expect(parallel.loss).toBeCloseTo(single.loss, 6);
    tf.dispose([...Object.values(single.grads), ...Object.values(parallel.grads)]);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  it('rejects with a ModelError that says why a replica cannot build the model', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 2, inputShape: [3] })] });
    // A layer class only this thread knows: the replica cannot deserialise it.
    class OnlyHere extends tfl.layers.Layer {
      static readonly className = 'OnlyHereLayer';
      override call(inputs: tf.Tensor | tf.Tensor[]) {
        return inputs;
      }
    }
    tf.serialization.registerClass(OnlyHere);
    model.add(new OnlyHere({}));
    await expect(DataParallelGradients.start(model, 2, meanSquaredErrorObjective())).rejects.toThrow(ModelError);
    await expect(DataParallelGradients.start(model, 2, meanSquaredErrorObjective())).rejects.toThrow(/training replica failed: .*OnlyHereLayer/);
    model.dispose();
    // The thread survives a model it cannot build and serves the next training.
    const { model: next, optimizer } = buildLstmStack(params, 3);
    const [x, y] = [tf.randomNormal([4, params.window, 1]), tf.randomNormal([4, 1])];
    const booted = replicaThreadStats().booted;
    const result = await gradientsWith(2, next, x, y);
    expect(replicaThreadStats().booted).toBe(booted);
    expect(Number.isFinite(result.loss)).toBe(true);
    tf.dispose([x, y, ...Object.values(result.grads)]);
    next.dispose();
    optimizer.dispose();
  });

  it('refuses a thread count that is not a positive integer', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
    await expect(DataParallelGradients.start(model, 0, meanSquaredErrorObjective())).rejects.toThrow(/threads must be a positive integer/);
    model.dispose();
  });

  it('uses the threads a step can feed, at least the minimum rows each', () => {
    expect(usableTrainingThreads(1, 512, 64)).toBe(1);
    expect(usableTrainingThreads(4, 512, 64)).toBe(4);
    expect(usableTrainingThreads(4, 128, 64)).toBe(2);
    expect(usableTrainingThreads(2, 100, 64)).toBe(1);
    expect(usableTrainingThreads(2, 32, 8)).toBe(2);
    expect(() => usableTrainingThreads(0, 512, 64)).toThrow(ModelConfigError);
  });
});
