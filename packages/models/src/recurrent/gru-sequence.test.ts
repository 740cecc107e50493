import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend } from '../backend.ts';
import type { RecurrentActivation } from './activations.ts';
import { gruSequence } from './gru-sequence.ts';
import { expectClose, randomTensor } from './testing.ts';

beforeAll(() => initBackend('auto'));

const gate = (activation: RecurrentActivation, v: tf.Tensor) => (activation === 'sigmoid' ? tf.sigmoid(v) : tf.clipByValue(tf.add(tf.mul(v, 0.2), 0.5), 0, 1));

/** GRUCell's arithmetic step by step through tfjs' autodiff, for gradients where tfjs-layers cannot take them (1 step). */
function referenceLoss(activation: RecurrentActivation, probe: tf.Tensor[]) {
  return (x: tf.Tensor, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor, h0: tf.Tensor) => {
    const units = h0.shape[1]!;
    const [uz, ur, uh] = tf.split(recurrent, 3, 1);
    let h = h0 as tf.Tensor2D;
    const outputs: tf.Tensor[] = [];
    for (let t = 0; t < x.shape[1]!; t++) {
      const xt = tf.reshape(tf.slice(x, [0, t, 0], [-1, 1, -1]), [x.shape[0]!, x.shape[2]!]) as tf.Tensor2D;
      const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt, kernel as tf.Tensor2D), bias), [units, units, units], 1);
      const z = gate(activation, tf.add(xz!, tf.matMul(h, uz as tf.Tensor2D)));
      const r = gate(activation, tf.add(xr!, tf.matMul(h, ur as tf.Tensor2D)));
      const hh = tf.tanh(tf.add(xh!, tf.matMul(tf.mul(r, h) as tf.Tensor2D, uh as tf.Tensor2D)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh)) as tf.Tensor2D;
      outputs.push(h);
    }
    return tf.addN([tf.sum(tf.mul(tf.stack(outputs, 1), probe[0]!)), tf.sum(tf.mul(h, probe[1]!))]) as tf.Scalar;
  };
}

describe("gruSequence matches tfjs-layers' GRU", () => {
  const shapes = [
    { batch: 3, steps: 5, inputSize: 4, units: 6 },
    { batch: 1, steps: 7, inputSize: 2, units: 3 },
    { batch: 4, steps: 1, inputSize: 3, units: 5 },
    { batch: 1, steps: 1, inputSize: 1, units: 2 },
    { batch: 16, steps: 30, inputSize: 10, units: 20 },
  ];
  for (const activation of ['sigmoid', 'hardSigmoid'] as const) {
    for (const { batch, steps, inputSize, units } of shapes) {
      it(`${activation}: batch ${batch}, ${steps} steps, ${inputSize} → ${units}: outputs and every gradient within 1e-4`, () => {
        const before = tf.memory().numTensors;
        let seed = 7 + batch * 1000 + steps * 100 + units;
        const next = (shape: number[], scale = 1) => randomTensor(shape, seed++, scale);
        const x = next([batch, steps, inputSize]) as tf.Tensor3D;
        const weights = [next([inputSize, 3 * units], 0.6), next([units, 3 * units], 0.6), next([3 * units], 0.5)] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const h0 = next([batch, units], 0.5) as tf.Tensor2D;
        const probe = [next([batch, steps, units]), next([batch, units])];

        const layer = tfl.layers.gru({ units, returnSequences: true, recurrentActivation: activation });
        layer.apply(tfl.input({ shape: [steps, inputSize] }));
        layer.setWeights(weights);
        const stockOutputs = layer.apply(x, { initialState: [h0] }) as tf.Tensor;
        const fast = gruSequence(x, { kernel: weights[0], recurrentKernel: weights[1], bias: weights[2] }, { recurrentActivation: activation, initialState: h0 });
        expectClose(fast.outputs, stockOutputs, 'outputs');
        const inferred = gruSequence(x, { kernel: weights[0], recurrentKernel: weights[1], bias: weights[2] }, { recurrentActivation: activation, initialState: h0, inference: true });
        expectClose(inferred.outputs, stockOutputs, 'inference outputs');

        const loss =
          (run: (xs: tf.Tensor3D, k: tf.Tensor2D, r: tf.Tensor2D, b: tf.Tensor1D, h: tf.Tensor2D) => { outputs: tf.Tensor; h: tf.Tensor }) =>
          (xs: tf.Tensor, k: tf.Tensor, r: tf.Tensor, b: tf.Tensor, h: tf.Tensor) => {
            const out = run(xs as tf.Tensor3D, k as tf.Tensor2D, r as tf.Tensor2D, b as tf.Tensor1D, h as tf.Tensor2D);
            return tf.addN([tf.sum(tf.mul(out.outputs, probe[0]!)), tf.sum(tf.mul(out.h, probe[1]!))]) as tf.Scalar;
          };
        const inputs = [x, ...weights, h0];
        const fastGrads = tf.grads(loss((xs, k, r, b, h) => gruSequence(xs, { kernel: k, recurrentKernel: r, bias: b }, { recurrentActivation: activation, initialState: h })))(inputs);
        const expected = tf.grads(referenceLoss(activation, probe))(inputs);
        ['x', 'kernel', 'recurrentKernel', 'bias', 'h0'].forEach((name, i) => expectClose(fastGrads[i]!, expected[i]!, `d${name}`));
        if (steps > 1) {
          // And against tfjs-layers' own gradient of the weights (it cannot differentiate one step).
          const variables = layer.trainableWeights.map((w) => w.read() as tf.Variable);
          const { value, grads } = tf.variableGrads(() => {
            const outputs = layer.apply(x, { initialState: [h0] }) as tf.Tensor;
            const last = tf.reshape(tf.slice(outputs, [0, steps - 1, 0], [-1, 1, -1]), [batch, units]);
            return tf.addN([tf.sum(tf.mul(outputs, probe[0]!)), tf.sum(tf.mul(last, probe[1]!))]) as tf.Scalar;
          }, variables);
          variables.forEach((v, i) => expectClose(grads[v.name]!, fastGrads[i + 1]!, `stock d${['kernel', 'recurrentKernel', 'bias'][i]}`));
          tf.dispose([value, ...Object.values(grads)]);
        }
        tf.dispose([x, ...weights, h0, ...probe, stockOutputs, fast.outputs, fast.h, inferred.outputs, inferred.h, ...fastGrads, ...expected]);
        layer.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});

describe("gruSequence with a mask matches tfjs-layers' GRU with that mask", () => {
  const cases: Array<{ what: string; batch: number; steps: number; inputSize: number; units: number; mask: number[][]; boolMask?: boolean }> = [
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
      what: 'long, right padded',
      batch: 8,
      steps: 20,
      inputSize: 5,
      units: 10,
      mask: Array.from({ length: 8 }, (_, row) => Array.from({ length: 20 }, (_, t) => (t < 20 - 2 * row ? 1 : 0))),
    },
  ];
  for (const activation of ['hardSigmoid', 'sigmoid'] as const) {
    for (const { what, batch, steps, inputSize, units, mask: rows, boolMask } of cases) {
      it(`${activation}, ${what}: outputs, final state and every gradient within 1e-4`, () => {
        const before = tf.memory().numTensors;
        let seed = 3 + batch * 1000 + steps * 100 + units;
        const next = (shape: number[], scale = 1) => randomTensor(shape, seed++, scale);
        const x = next([batch, steps, inputSize]) as tf.Tensor3D;
        const weights = [next([inputSize, 3 * units], 0.6), next([units, 3 * units], 0.6), next([3 * units], 0.5)] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const h0 = next([batch, units], 0.5) as tf.Tensor2D;
        const probe = [next([batch, steps, units]), next([batch, units])];
        const mask = boolMask
          ? tf.tensor2d(
              rows.flat().map((m) => m !== 0),
              [batch, steps],
              'bool',
            )
          : tf.tensor2d(rows.flat(), [batch, steps]);

        const layer = tfl.layers.gru({ units, returnSequences: true, returnState: true, recurrentActivation: activation });
        layer.apply(tfl.input({ shape: [steps, inputSize] }));
        layer.setWeights(weights);
        const variables = [...layer.trainableWeights.map((w) => w.read() as tf.Variable), tf.variable(x), tf.variable(h0)];
        const lossOf = (outputs: tf.Tensor, h: tf.Tensor) => tf.addN([tf.sum(tf.mul(outputs, probe[0]!)), tf.sum(tf.mul(h, probe[1]!))]) as tf.Scalar;
        const stock = tf.variableGrads(() => {
          const [outputs, h] = layer.apply(variables[3]!, { initialState: [variables[4]!], mask }) as tf.Tensor[];
          return lossOf(outputs!, h!);
        }, variables);
        const [stockOutputs, stockH] = layer.apply(x, { initialState: [h0], mask }) as tf.Tensor[];
        const [kernel, recurrentKernel, bias] = variables as [tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R2>, tf.Variable<tf.Rank.R1>];
        const options = { recurrentActivation: activation, mask };
        const fast = gruSequence(x, { kernel, recurrentKernel, bias }, { ...options, initialState: h0 });
        const inferred = gruSequence(x, { kernel, recurrentKernel, bias }, { ...options, initialState: h0, inference: true });
        const ours = tf.variableGrads(() => {
          const run = gruSequence(variables[3] as tf.Tensor3D, { kernel, recurrentKernel, bias }, { ...options, initialState: variables[4] as tf.Tensor2D });
          return lossOf(run.outputs, run.h);
        }, variables);

        expectClose(fast.outputs, stockOutputs!, 'outputs');
        expectClose(fast.h, stockH!, 'h');
        expectClose(inferred.outputs, stockOutputs!, 'inference outputs');
        expectClose(ours.value, stock.value, 'value');
        variables.forEach((v, i) => expectClose(ours.grads[v.name]!, stock.grads[v.name]!, `d${['kernel', 'recurrentKernel', 'bias', 'x', 'h0'][i]}`));
        tf.dispose([x, ...weights, h0, ...probe, mask, stockOutputs!, stockH!, fast.outputs, fast.h, inferred.outputs, inferred.h, variables[3]!, variables[4]!]);
        tf.dispose([stock.value, ours.value, ...Object.values(stock.grads), ...Object.values(ours.grads)]);
        layer.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('time-major: takes the mask `[steps, batch]`', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const x = randomTensor([2, 4, 3], 1) as tf.Tensor3D;
      const weights = { kernel: randomTensor([3, 6], 2, 0.6) as tf.Tensor2D, recurrentKernel: randomTensor([2, 6], 3, 0.6) as tf.Tensor2D, bias: randomTensor([6], 4, 0.5) as tf.Tensor1D };
      const mask = tf.tensor2d([
        [1, 1, 1, 0],
        [1, 0, 0, 0],
      ]);
      const batchMajor = gruSequence(x, weights, { mask });
      const timeMajor = gruSequence(tf.transpose(x, [1, 0, 2]), weights, { mask: tf.transpose(mask), timeMajor: true });
      expectClose(tf.transpose(timeMajor.outputs, [1, 0, 2]), batchMajor.outputs, 'outputs');
      expectClose(timeMajor.h, batchMajor.h, 'h');
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
