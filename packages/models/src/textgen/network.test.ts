import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import { FastGRU, FastLSTM } from '../recurrent/fast-layers.ts';
import { buildTextNetwork, orthogonalMatrix, readNetworkWeights } from './network.ts';
import { forwardWindows, stepOneCharacter, zeroStates, type LayerState } from './recurrent.ts';
import { UNKNOWN_CHAR_INDEX } from './vocabulary.ts';

beforeAll(() => initBackend('auto'));

const vocabularySize = 7;
// Two sequences of 5 characters, time-major [5, 2].
const sequences = [
  [0, 3, 6, 1, 1],
  [5, 2, 2, 4, 0],
];
const timeMajor = () =>
  tf.tensor2d(
    sequences[0]!.flatMap((_, t) => sequences.map((s) => s[t]!)),
    [5, 2],
    'int32',
  );

describe.each(['gru', 'lstm'] as const)('%s network arithmetic', (cell) => {
  it("matches tfjs-layers' own predict on the same weights", () => {
    const baseline = tf.memory().numTensors;
    const network = buildTextNetwork({ cell, layers: 2, units: 6 }, vocabularySize, 3);
    const weights = readNetworkWeights(network, cell, vocabularySize);
    const [ours, theirs] = tf.tidy(() => {
      const inputs = timeMajor();
      const logits = forwardWindows(weights, inputs); // [5 · 2, 7], time-major
      const batchMajor = tf.transpose(tf.reshape(logits, [5, 2, vocabularySize]), [1, 0, 2]);
      const oneHot = tf.oneHot(tf.tensor2d(sequences, [2, 5], 'int32'), vocabularySize).toFloat();
      return [batchMajor.dataSync(), (network.predict(oneHot) as tf.Tensor).dataSync()];
    });
    expect(Array.from(ours)).toEqual(Array.from(theirs).map((v) => expect.closeTo(v, 5)));
    network.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('steps one character at a time to the same logits as a whole window', () => {
    const baseline = tf.memory().numTensors;
    const network = buildTextNetwork({ cell, layers: 3, units: 5 }, vocabularySize, 4);
    const weights = readNetworkWeights(network, cell, vocabularySize);
    const windowLogits = tf.tidy(() => forwardWindows(weights, tf.tensor2d(sequences[0]!, [5, 1], 'int32')).arraySync());
    let states: LayerState[] = zeroStates(weights, 1);
    const stepped: number[][] = [];
    for (const index of sequences[0]!) {
      const step = stepOneCharacter(weights, index, states, true);
      tf.dispose(states);
      states = step.states;
      stepped.push(step.logits!.arraySync()[0]!);
      step.logits!.dispose();
    }
    expect(stepped.flat()).toEqual(windowLogits.flat().map((v) => expect.closeTo(v, 5)));
    tf.dispose(states);
    network.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });
});

describe('text network', () => {
  it('reads an unknown character as an all-zero input', () => {
    const network = buildTextNetwork({ cell: 'gru', layers: 1, units: 4 }, vocabularySize, 5);
    const weights = readNetworkWeights(network, 'gru', vocabularySize);
    const states = zeroStates(weights, 1);
    const unknown = stepOneCharacter(weights, UNKNOWN_CHAR_INDEX, states, true);
    const expected = tf.tidy(() => forwardWindows({ ...weights, layers: [{ ...weights.layers[0]!, kernel: tf.zerosLike(weights.layers[0]!.kernel) }] }, tf.tensor2d([[0]], [1, 1], 'int32')));
    expect(Array.from(unknown.logits!.dataSync())).toEqual(Array.from(expected.dataSync()).map((v) => expect.closeTo(v, 6)));
    tf.dispose([states, unknown.states, unknown.logits!, expected]);
    network.dispose();
  });

  it('initialises deterministically from its seed: orthogonal recurrent kernels, LSTM forget gates at 1', () => {
    const weightsOf = (seed: number) => {
      const network = buildTextNetwork({ cell: 'lstm', layers: 1, units: 3 }, vocabularySize, seed);
      const values = network.getWeights().map((w) => Array.from(w.dataSync()));
      network.dispose();
      return values;
    };
    expect(weightsOf(1)).toEqual(weightsOf(1));
    expect(weightsOf(1)).not.toEqual(weightsOf(2));
    expect(weightsOf(1)[2]).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(weightsOf(1)[1]).toEqual(Array.from(orthogonalMatrix(3, 12, 1 + 2)));
  });

  it.each([
    [6, 18],
    [18, 6],
  ])('makes a %i × %i orthogonal matrix (orthonormal rows or columns)', (rows, cols) => {
    const m = orthogonalMatrix(rows, cols, 9);
    const n = Math.min(rows, cols);
    const at = (i: number, k: number) => (rows <= cols ? m[i * cols + k]! : m[k * cols + i]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) dot += at(i, k) * at(j, k);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 5);
      }
    }
    expect(orthogonalMatrix(rows, cols, 9)).toEqual(m);
    expect(orthogonalMatrix(rows, cols, 10)).not.toEqual(m);
  });

  it.each(['gru', 'lstm'] as const)('reads a %s network built of the Fast layer classes, whose predict agrees with its own arithmetic', (cell) => {
    const baseline = tf.memory().numTensors;
    const stock = buildTextNetwork({ cell, layers: 2, units: 6 }, vocabularySize, 3);
    const fast = tfl.sequential();
    for (let i = 0; i < 2; i++) {
      const args = { units: 6, returnSequences: true, recurrentActivation: 'sigmoid' as const, ...(i === 0 ? { inputShape: [null, vocabularySize] } : {}) };
      fast.add(cell === 'gru' ? new FastGRU(args) : new FastLSTM(args));
    }
    fast.add(tfl.layers.dense({ units: vocabularySize }));
    fast.setWeights(stock.getWeights());
    const weights = readNetworkWeights(fast, cell, vocabularySize);
    const [ours, theirs] = tf.tidy(() => {
      const logits = forwardWindows(weights, timeMajor());
      const batchMajor = tf.transpose(tf.reshape(logits, [5, 2, vocabularySize]), [1, 0, 2]);
      const oneHot = tf.oneHot(tf.tensor2d(sequences, [2, 5], 'int32'), vocabularySize).toFloat();
      return [batchMajor.dataSync(), (fast.predict(oneHot) as tf.Tensor).dataSync()];
    });
    expect(Array.from(ours)).toEqual(Array.from(theirs).map((v) => expect.closeTo(v, 5)));
    expect(() => readNetworkWeights(fast, cell === 'gru' ? 'lstm' : 'gru', vocabularySize)).toThrow(/is a Fast/);
    [stock, fast].forEach((network) => network.dispose());
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses a network whose shape does not fit the vocabulary or the cell', () => {
    const network = buildTextNetwork({ cell: 'gru', layers: 1, units: 4 }, vocabularySize, 5);
    expect(() => readNetworkWeights(network, 'gru', vocabularySize + 1)).toThrow(/do not fit a GRU of 4 units over 8 characters/);
    expect(() => readNetworkWeights(network, 'lstm', vocabularySize)).toThrow(/is a GRU, expected a LSTM/);
    network.dispose();
  });
});
