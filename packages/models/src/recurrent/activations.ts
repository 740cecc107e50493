import * as tf from '@tensorflow/tfjs-core';

/** The gate activations tfjs-layers' LSTM and GRU take (`recurrentActivation`); `hardSigmoid` is their default. */
export type RecurrentActivation = 'sigmoid' | 'hardSigmoid';

export const recurrentActivations: readonly RecurrentActivation[] = ['sigmoid', 'hardSigmoid'];

/** Applies the gate activation, as tfjs-layers does (`hardSigmoid` = clip(0.2·x + 0.5, 0, 1)). */
export function activateGates<T extends tf.Tensor>(activation: RecurrentActivation, x: T): T {
  if (activation === 'sigmoid') return tf.sigmoid(x);
  return tf.clipByValue(tf.add(tf.mul(x, 0.2), 0.5), 0, 1) as T;
}

/**
 * The activation's derivative written from its output `y`, so the backward pass needs only what
 * the forward pass kept: y·(1 − y) for the sigmoid; 0.2 inside (0, 1) and 0 where hardSigmoid clips.
 */
export function gateDerivative<T extends tf.Tensor>(activation: RecurrentActivation, y: T): T {
  const slope = tf.mul(y, tf.sub(1, y));
  if (activation === 'sigmoid') return slope as T;
  // y·(1 − y) > 0 exactly inside (0, 1): a float-only mask (boolean kernels are slow on wasm).
  return tf.mul(tf.step(slope), 0.2) as T;
}

/**
 * tanh as 2·σ(2x) − 1: the same function, within float32 rounding, and 15× faster on the wasm
 * backend, whose Tanh kernel is scalar code while its Sigmoid is vectorised.
 */
export function fastTanh<T extends tf.Tensor>(x: T): T {
  // Below this many elements the three extra ops cost more than the slow kernel (~25 µs per op).
  if (x.size < 4096) return tf.tanh(x);
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}

/**
 * Folds hardSigmoid's affine part (0.2·z + 0.5) into a gate's weights, so that the gate is
 * `clip(z', 0, 1)`: one op per step instead of three. `gates` marks, per column block, whether it
 * is a gate (true) or the candidate (false); `weights` has `gates.length` blocks on its last axis.
 */
export function foldHardSigmoid<T extends tf.Tensor>(weights: T, gates: boolean[], withShift: boolean): T {
  const units = weights.shape.at(-1)! / gates.length;
  const scale = tf.concat(gates.map((gate) => tf.fill([units], gate ? 0.2 : 1)));
  const scaled = tf.mul(weights, scale);
  if (!withShift) return scaled as T;
  return tf.add(scaled, tf.concat(gates.map((gate) => tf.fill([units], gate ? 0.5 : 0)))) as T;
}

/**
 * A cell's weights ready for its gate activation, and that activation: with hardSigmoid gates,
 * their 0.2·z + 0.5 is folded into the columns of the gates (`gateColumns`, one flag per gate
 * block), so a gate is then one clip.
 */
export function prepareGates(activation: RecurrentActivation, kernel: tf.Tensor2D, recurrentKernel: tf.Tensor2D, bias: tf.Tensor1D, gateColumns: boolean[]) {
  const hard = activation === 'hardSigmoid';
  return {
    w: hard ? foldHardSigmoid(kernel, gateColumns, false) : kernel,
    u: hard ? foldHardSigmoid(recurrentKernel, gateColumns, false) : recurrentKernel,
    b: hard ? foldHardSigmoid(bias, gateColumns, true) : bias,
    gate: (z: tf.Tensor2D) => (hard ? tf.clipByValue(z, 0, 1) : activateGates(activation, z)),
  };
}
