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

describe('gruSequence matches tfjs-layers\' GRU', () => {
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

        const loss = (run: (xs: tf.Tensor3D, k: tf.Tensor2D, r: tf.Tensor2D, b: tf.Tensor1D, h: tf.Tensor2D) => { outputs: tf.Tensor; h: tf.Tensor }) =>
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
        tf.dispose([x, ...weights, h0, ...probe, stockOutputs, fast.outputs, fast.h, ...fastGrads, ...expected]);
        layer.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});
