import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import type { RecurrentActivation } from './activations.ts';
import { lstmSequence } from './lstm-sequence.ts';
import { expectClose, randomTensor } from './testing.ts';

beforeAll(() => initBackend('auto'));

/** The stock layer on the same weights: outputs, final state, and every gradient of a random projection of them. */
function stockLstm(x: tf.Tensor3D, units: number, activation: RecurrentActivation, weights: tf.Tensor[], initial: tf.Tensor2D[], probe: tf.Tensor[], mask?: tf.Tensor2D) {
  const layer = tfl.layers.lstm({ units, returnSequences: true, returnState: true, recurrentActivation: activation });
  layer.apply(tfl.input({ shape: [x.shape[1], x.shape[2]] }));
  layer.setWeights(weights);
  const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
  const h0 = tf.variable(initial[0]!);
  const c0 = tf.variable(initial[1]!);
  const xv = tf.variable(x);
  // tfjs-layers cannot differentiate a 1-step LSTM (its Unpack gradient stacks an empty list).
  const { value, grads } =
    x.shape[1] > 1
      ? tf.variableGrads(() => {
          const [outputs, h, c] = layer.apply(xv, { initialState: [h0, c0], mask }) as tf.Tensor[];
          return tf.addN([tf.sum(tf.mul(outputs!, probe[0]!)), tf.sum(tf.mul(h!, probe[1]!)), tf.sum(tf.mul(c!, probe[2]!))]) as tf.Scalar;
        }, [...variables, xv, h0, c0])
      : { value: null, grads: null };
  const [outputs, h, c] = layer.apply(x, { initialState: initial, mask }) as tf.Tensor[];
  const result = { outputs: outputs!, h: h!, c: c!, value, grads: grads ? [...variables, xv, h0, c0].map((v) => grads[v.name]!) : null };
  tf.dispose([h0, c0, xv]);
  layer.dispose();
  return result;
}

/** Gradients of LSTMCell's arithmetic written step by step, through tfjs' autodiff: the reference where tfjs-layers cannot differentiate. */
function referenceGrads(x: tf.Tensor3D, weights: tf.Tensor[], initial: tf.Tensor[], probe: tf.Tensor[], activation: RecurrentActivation): tf.Tensor[] {
  const units = initial[0]!.shape[1]!;
  const gate = (v: tf.Tensor) => (activation === 'sigmoid' ? tf.sigmoid(v) : tf.clipByValue(tf.add(tf.mul(v, 0.2), 0.5), 0, 1));
  const f = (xs: tf.Tensor, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor, h0: tf.Tensor, c0: tf.Tensor) => {
    let h = h0;
    let c = c0;
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < xs.shape[1]!; t++) {
      const xt = tf.reshape(tf.slice(xs, [0, t, 0], [-1, 1, -1]), [xs.shape[0]!, xs.shape[2]!]);
      const z = tf.add(tf.add(tf.matMul(xt, kernel as tf.Tensor2D), bias), tf.matMul(h as tf.Tensor2D, recurrent as tf.Tensor2D));
      const [i, fg, g, o] = tf.split(z, [units, units, units, units], 1);
      c = tf.add(tf.mul(gate(fg!), c), tf.mul(gate(i!), tf.tanh(g!)));
      h = tf.mul(gate(o!), tf.tanh(c));
      outputs.push(h);
    }
    return tf.addN([tf.sum(tf.mul(tf.stack(outputs, 1), probe[0]!)), tf.sum(tf.mul(h, probe[1]!)), tf.sum(tf.mul(c, probe[2]!))]) as tf.Scalar;
  };
  const [dx, dk, dr, db, dh, dc] = tf.grads(f)([x, weights[0]!, weights[1]!, weights[2]!, initial[0]!, initial[1]!]);
  return [dk!, dr!, db!, dx!, dh!, dc!];
}

interface Case {
  batch: number;
  steps: number;
  inputSize: number;
  units: number;
  /** `[batch][steps]`, 1 = real step; passed as float, or as bool when `boolMask`. */
  mask?: number[][];
  boolMask?: boolean;
}

/** lstmSequence against the stock layer on the same random weights, input, initial state and mask. */
function expectSameAsStock(activation: RecurrentActivation, { batch, steps, inputSize, units, mask: rows, boolMask }: Case): void {
  const before = tf.memory().numTensors;
  let seed = batch * 1000 + steps * 100 + units;
  const next = (shape: number[], scale = 1) => randomTensor(shape, seed++, scale);
  const x = next([batch, steps, inputSize]) as tf.Tensor3D;
  const weights = [next([inputSize, 4 * units], 0.6), next([units, 4 * units], 0.6), next([4 * units], 0.5)];
  const initial = [next([batch, units], 0.5), next([batch, units], 0.5)] as tf.Tensor2D[];
  const probe = [next([batch, steps, units]), next([batch, units]), next([batch, units])];
  const mask =
    rows &&
    (boolMask
      ? tf.tensor2d(
          rows.flat().map((m) => m !== 0),
          [batch, steps],
          'bool',
        )
      : tf.tensor2d(rows.flat(), [batch, steps]));
  const stock = stockLstm(x, units, activation, weights, initial, probe, mask);

  const [kernel, recurrentKernel, bias] = weights.map((w) => tf.variable(w));
  const h0 = tf.variable(initial[0]!);
  const c0 = tf.variable(initial[1]!);
  const xv = tf.variable(x);
  const options = { recurrentActivation: activation, ...(mask ? { mask } : {}) };
  const fast = lstmSequence(
    x,
    { kernel: kernel as tf.Variable<tf.Rank.R2>, recurrentKernel: recurrentKernel as tf.Variable<tf.Rank.R2>, bias: bias as tf.Variable<tf.Rank.R1> },
    { ...options, initialState: { h: initial[0]!, c: initial[1]! } },
  );
  const inferred = lstmSequence(
    x,
    { kernel: kernel as tf.Variable<tf.Rank.R2>, recurrentKernel: recurrentKernel as tf.Variable<tf.Rank.R2>, bias: bias as tf.Variable<tf.Rank.R1> },
    { ...options, initialState: { h: initial[0]!, c: initial[1]! }, inference: true },
  );
  const { value, grads } = tf.variableGrads(() => {
    const run = lstmSequence(
      xv,
      { kernel: kernel as tf.Tensor2D, recurrentKernel: recurrentKernel as tf.Tensor2D, bias: bias as tf.Tensor1D },
      { ...options, initialState: { h: h0, c: c0 } },
    );
    return tf.addN([tf.sum(tf.mul(run.outputs, probe[0]!)), tf.sum(tf.mul(run.h, probe[1]!)), tf.sum(tf.mul(run.c, probe[2]!))]) as tf.Scalar;
  }, [kernel!, recurrentKernel!, bias!, xv, h0, c0]);

  expectClose(fast.outputs, stock.outputs, 'outputs');
  expectClose(fast.h, stock.h, 'h');
  expectClose(fast.c, stock.c, 'c');
  expectClose(inferred.outputs, stock.outputs, 'inference outputs');
  expectClose(inferred.c, stock.c, 'inference c');
  const names = ['kernel', 'recurrentKernel', 'bias', 'x', 'h0', 'c0'];
  if (!stock.grads && mask) throw new Error('the autodiff reference has no mask: give masked cases more than one step');
  const expected = stock.grads ?? referenceGrads(x, weights, initial, probe, activation);
  [kernel!, recurrentKernel!, bias!, xv, h0, c0].forEach((v, i) => expectClose(grads[v.name]!, expected[i]!, `d${names[i]}`));
  if (stock.value) expectClose(value, stock.value, 'value');
  tf.dispose([x, ...weights, ...initial, ...probe, ...(mask ? [mask] : []), stock.outputs, stock.h, stock.c, ...(stock.value ? [stock.value] : []), ...expected]);
  tf.dispose([fast.outputs, fast.h, fast.c, inferred.outputs, inferred.h, inferred.c, value, ...Object.values(grads), kernel!, recurrentKernel!, bias!, h0, c0, xv]);
  expect(tf.memory().numTensors).toBe(before);
}

describe("lstmSequence matches tfjs-layers' LSTM", () => {
  const shapes = [
    { batch: 3, steps: 5, inputSize: 4, units: 6 },
    { batch: 1, steps: 7, inputSize: 2, units: 3 },
    { batch: 4, steps: 1, inputSize: 3, units: 5 },
    { batch: 1, steps: 1, inputSize: 1, units: 2 },
    { batch: 16, steps: 30, inputSize: 1, units: 20 },
  ];
  for (const activation of ['hardSigmoid', 'sigmoid'] as const) {
    for (const shape of shapes) {
      const { batch, steps, inputSize, units } = shape;
      it(`${activation}: batch ${batch}, ${steps} steps, ${inputSize} → ${units}: outputs, final state and every gradient within 1e-4`, () => expectSameAsStock(activation, shape));
    }
  }
});

describe("lstmSequence with a mask matches tfjs-layers' LSTM with that mask", () => {
  const cases: Array<Case & { what: string }> = [
    // seq2seq's batches: tokens first, padding after.
    {
      what: 'right padding',
      batch: 4,
      steps: 6,
      inputSize: 3,
      units: 5,
      mask: [
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0, 0],
        [1, 0, 0, 0, 0, 0],
        [1, 1, 1, 1, 1, 0],
      ],
    },
    // Leading masked steps output the initial state, as tfjs-layers does.
    {
      what: 'left padding and a hole',
      batch: 3,
      steps: 5,
      inputSize: 2,
      units: 4,
      mask: [
        [0, 0, 1, 1, 1],
        [0, 0, 0, 0, 1],
        [1, 1, 0, 1, 1],
      ],
      boolMask: true,
    },
    {
      what: 'a whole row masked',
      batch: 3,
      steps: 4,
      inputSize: 3,
      units: 3,
      mask: [
        [1, 1, 0, 0],
        [0, 0, 0, 0],
        [1, 1, 1, 1],
      ],
    },
    { what: 'batch 1', batch: 1, steps: 6, inputSize: 2, units: 4, mask: [[1, 1, 1, 1, 0, 0]], boolMask: true },
    {
      what: 'every step real',
      batch: 2,
      steps: 3,
      inputSize: 2,
      units: 3,
      mask: [
        [1, 1, 1],
        [1, 1, 1],
      ],
    },
    {
      what: 'long, right padded',
      batch: 8,
      steps: 20,
      inputSize: 5,
      units: 10,
      mask: Array.from({ length: 8 }, (_, row) => Array.from({ length: 20 }, (_, t) => (t < 20 - 2 * row ? 1 : 0))),
    },
  ];
  for (const activation of ['hardSigmoid', 'sigmoid'] as const) {
    for (const { what, ...shape } of cases) {
      it(`${activation}, ${what}: outputs, final state and every gradient within 1e-4`, () => expectSameAsStock(activation, shape));
    }
  }

  it('time-major: takes the mask `[steps, batch]`', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = randomTensor([2, 4, 3], 1) as tf.Tensor3D;
      const weights = { kernel: randomTensor([3, 8], 2, 0.6) as tf.Tensor2D, recurrentKernel: randomTensor([2, 8], 3, 0.6) as tf.Tensor2D, bias: randomTensor([8], 4, 0.5) as tf.Tensor1D };
      const mask = tf.tensor2d([
        [1, 1, 1, 0],
        [1, 0, 0, 0],
      ]);
      const batchMajor = lstmSequence(x, weights, { mask });
      const timeMajor = lstmSequence(tf.transpose(x, [1, 0, 2]), weights, { mask: tf.transpose(mask), timeMajor: true });
      expectClose(tf.transpose(timeMajor.outputs, [1, 0, 2]), batchMajor.outputs, 'outputs');
      expectClose(timeMajor.c, batchMajor.c, 'c');
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
