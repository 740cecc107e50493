import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { createRandom } from '../samples/synthetic.ts';
import type { RecurrentActivation } from './activations.ts';
import { FastLSTM } from './fast-layers.ts';
import { LstmStackKernel } from './lstm-stack-kernel.ts';
import { readLstmStack } from './read-lstm-stack.ts';

beforeAll(() => initBackend('auto'));

/**
 * A stack of LSTMs (sizes not multiples of 4, so the kernel pads) with Dropout between and a
 * Dense head, its weights uniform in ±`scale` from `seed`: large scales drive the gates and tanh
 * into saturation, where approximations go wrong first.
 */
function buildStack(options: { units: readonly number[]; inputSize: number; steps: number; activation: RecurrentActivation; heads: number; seed: number; scale: number; fast?: boolean }) {
  const random = createRandom(options.seed);
  const initializer = () => tfl.initializers.randomUniform({ minval: -options.scale, maxval: options.scale, seed: Math.floor(random() * 1e6) });
  const lstm = (args: Parameters<typeof tfl.layers.lstm>[0]) => (options.fast ? new FastLSTM(args) : tfl.layers.lstm(args));
  const layers: tfl.layers.Layer[] = [];
  options.units.forEach((units, l) => {
    layers.push(
      lstm({
        units,
        returnSequences: l < options.units.length - 1,
        recurrentActivation: options.activation,
        kernelInitializer: initializer(),
        recurrentInitializer: initializer(),
        biasInitializer: initializer(),
        ...(l === 0 ? { inputShape: [options.steps, options.inputSize] } : {}),
      }),
    );
    layers.push(tfl.layers.dropout({ rate: 0.3 }));
  });
  layers.push(tfl.layers.dense({ units: options.heads, kernelInitializer: initializer(), biasInitializer: initializer() }));
  return tfl.sequential({ layers });
}

function kernelFor(model: tfl.LayersModel): LstmStackKernel {
  const reading = readLstmStack(model);
  if ('unsupported' in reading) throw new Error(reading.unsupported);
  return LstmStackKernel.create(reading.layers, reading.head)!;
}

/** Largest |a − b| / max(|b|, 1e−3) over the outputs. */
function worstRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(Math.abs(expected[i]!), 1e-3));
  return worst;
}

function randomInputs(count: number, seed: number, scale = 1): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: count }, () => (random() * 2 - 1) * scale);
}

describe('LstmStackKernel', () => {
  // Saturated cases (pre-activations of tens, where the gates clip and tanh is ±1) get a looser
  // bound: float32 rounding of such sums is ~1e−6 each, and tfjs itself is 2e−5 off a float64
  // computation of the last case.
  const cases = [
    { activation: 'hardSigmoid', units: [5, 7], inputSize: 1, steps: 12, heads: 1, scale: 0.5, tolerance: 1e-5 },
    { activation: 'sigmoid', units: [6, 3, 9], inputSize: 3, steps: 8, heads: 2, scale: 0.5, tolerance: 1e-5 },
    { activation: 'sigmoid', units: [4, 5], inputSize: 2, steps: 10, heads: 1, scale: 4, tolerance: 1e-4 },
    { activation: 'hardSigmoid', units: [13], inputSize: 1, steps: 20, heads: 3, scale: 3, tolerance: 1e-4 },
  ] as const;

  for (const [i, c] of cases.entries()) {
    it(`predicts as tfjs-layers' predict: ${c.activation}, units ${c.units.join('→')}, input ${c.inputSize}, weights ±${c.scale}`, () => {
      const model = buildStack({ ...c, seed: i + 1 });
      const kernel = kernelFor(model);
      expect([kernel.inputSize, kernel.outputSize]).toEqual([c.inputSize, c.heads]);
      // 1 and 3 rows take the single-row path for their last row; 8 only the paired one.
      for (const rows of [1, 2, 3, 8]) {
        const inputs = randomInputs(rows * c.steps * c.inputSize, 10 * i + rows, 2);
        const expected = tf.tidy(() => (model.predict(tf.tensor3d(inputs, [rows, c.steps, c.inputSize])) as tf.Tensor).dataSync());
        expect(worstRelativeError(kernel.predict(inputs, rows, c.steps), expected), `${rows} rows`).toBeLessThan(c.tolerance);
      }
      model.dispose();
    });
  }

  it('reads FastLSTM layers as it reads stock ones, and gives each window the output it gets alone', () => {
    const stock = buildStack({ units: [8, 4], inputSize: 1, steps: 6, activation: 'hardSigmoid', heads: 1, seed: 9, scale: 0.8 });
    const fast = buildStack({ units: [8, 4], inputSize: 1, steps: 6, activation: 'hardSigmoid', heads: 1, seed: 9, scale: 0.8, fast: true });
    expect(fast.layers[0]!.getClassName()).toBe('FastLSTM');
    const inputs = randomInputs(5 * 6, 3);
    const together = kernelFor(fast).predict(inputs, 5, 6);
    expect(Array.from(kernelFor(stock).predict(inputs, 5, 6))).toEqual(Array.from(together));
    const kernel = kernelFor(fast);
    for (let row = 0; row < 5; row++) expect(kernel.predict(inputs.slice(row * 6, row * 6 + 6), 1, 6)[0]).toBe(together[row]);
    // Growing the workspace for more rows keeps the weights.
    expect(Array.from(kernel.predict(new Float32Array(300 * 6).fill(0.5), 300, 6).subarray(0, 1))).toEqual(Array.from(kernel.predict(new Float32Array(6).fill(0.5), 1, 6)));
    stock.dispose();
    fast.dispose();
  });

  it('says which networks it does not cover, and copies nothing from them', () => {
    const covered = { units: [4, 4], inputSize: 1, steps: 5, activation: 'hardSigmoid', heads: 1, seed: 1, scale: 0.5 } as const;
    const gru = tfl.sequential({ layers: [tfl.layers.gru({ units: 4, inputShape: [5, 1] }), tfl.layers.dense({ units: 1 })] });
    const relu = tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, inputShape: [5, 1] }), tfl.layers.dense({ units: 1, activation: 'relu' })] });
    const sequences = tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, returnSequences: true, inputShape: [5, 1] }), tfl.layers.dense({ units: 1 })] });
    const cellDropout = tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, dropout: 0.2, inputShape: [5, 1] }), tfl.layers.dense({ units: 1 })] });
    const reluCell = tfl.sequential({ layers: [tfl.layers.lstm({ units: 4, activation: 'relu', inputShape: [5, 1] }), tfl.layers.dense({ units: 1 })] });
    expect(readLstmStack(gru)).toEqual({ unsupported: 'layers GRU, Dense (LSTM layers, Dropout, one Dense)' });
    expect(readLstmStack(relu)).toEqual({ unsupported: 'a Dense head with activation relu' });
    expect(readLstmStack(sequences)).toEqual({ unsupported: 'a last LSTM that returns sequences' });
    expect(readLstmStack(cellDropout)).toEqual({ unsupported: 'an LSTM with dropout inside its cell' });
    expect(readLstmStack(reluCell)).toEqual({ unsupported: 'an LSTM with activations relu/hardSigmoid' });
    const model = buildStack(covered);
    expect('layers' in readLstmStack(model)).toBe(true);
    for (const m of [gru, relu, sequences, cellDropout, reluCell, model]) m.dispose();
  });

  it('frees its memory on release: predict throws, nothing is held', () => {
    const before = tf.memory().numTensors;
    const model = buildStack({ units: [6], inputSize: 1, steps: 4, activation: 'sigmoid', heads: 1, seed: 2, scale: 0.5 });
    const kernel = kernelFor(model);
    model.dispose();
    // Its own copy: the tfjs weights are gone, the kernel still predicts.
    expect(tf.memory().numTensors).toBe(before);
    expect(kernel.predict(new Float32Array(4), 1, 4)).toHaveLength(1);
    expect(kernel.byteLength).toBeGreaterThan(0);
    kernel.release();
    kernel.release();
    expect(kernel.byteLength).toBe(0);
    expect(() => kernel.predict(new Float32Array(4), 1, 4)).toThrow(/released/);
  });

  it('rejects inputs of the wrong length and stacks whose sizes do not chain', () => {
    const model = buildStack({ units: [4], inputSize: 2, steps: 3, activation: 'sigmoid', heads: 1, seed: 3, scale: 0.5 });
    const kernel = kernelFor(model);
    expect(() => kernel.predict(new Float32Array(5), 1, 3)).toThrow(/inputs hold 5 values, not 1 × 3 × 2/);
    expect(kernel.predict(new Float32Array(0), 0, 3)).toHaveLength(0);
    const reading = readLstmStack(model);
    if ('unsupported' in reading) throw new Error(reading.unsupported);
    expect(() => LstmStackKernel.create(reading.layers, { ...reading.head, inputSize: 5 })).toThrow(/do not chain/);
    model.dispose();
  });
});
