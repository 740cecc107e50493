import * as tf from '@tensorflow/tfjs-core';
import type { RecurrentLayerWeights, TextNetworkWeights } from './network.ts';
import { UNKNOWN_CHAR_INDEX } from './vocabulary.ts';
import { useFastRecurrent } from '../recurrent/fast-layers.ts';
import { gruSequence } from '../recurrent/gru-sequence.ts';
import { lstmSequence } from '../recurrent/lstm-sequence.ts';

// The arithmetic of tfjs-layers' LSTMCell and GRUCell (reset gate applied before the recurrent
// matmul, as Keras' reset_after=False), written so that the input projection of a whole window is
// one matmul and generation can advance one character at a time.

/** The state of one layer: `h` (and an LSTM's `c`), each `[batch, units]`. */
export type LayerState = { h: tf.Tensor2D; c?: tf.Tensor2D };

/**
 * A layer's recurrent kernel as its step uses it: whole for an LSTM; for a GRU split into the
 * update/reset gates' part and the candidate's part (which multiplies the reset state).
 */
type RecurrentKernels = { cell: 'lstm'; kernel: tf.Tensor2D } | { cell: 'gru'; gates: tf.Tensor2D; candidate: tf.Tensor2D };

function splitRecurrentKernel(cell: TextNetworkWeights['cell'], layer: RecurrentLayerWeights): RecurrentKernels {
  if (cell === 'lstm') return { cell, kernel: layer.recurrentKernel };
  const units = layer.recurrentKernel.shape[0];
  const [gates, candidate] = tf.split(layer.recurrentKernel, [2 * units, units], 1) as [tf.Tensor2D, tf.Tensor2D];
  return { cell, gates, candidate };
}

/** One step of a cell. `projected` is the input projection plus bias, `[batch, gates · units]`. */
function cellStep(kernels: RecurrentKernels, projected: tf.Tensor2D, state: LayerState): LayerState {
  if (kernels.cell === 'lstm') {
    const z = tf.add<tf.Tensor2D>(projected, tf.matMul(state.h, kernels.kernel));
    const [i, f, g, o] = tf.split(z, 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const c = tf.add<tf.Tensor2D>(tf.mul(tf.sigmoid(f), state.c!), tf.mul(tf.sigmoid(i), tf.tanh(g)));
    return { h: tf.mul<tf.Tensor2D>(tf.sigmoid(o), tf.tanh(c)), c };
  }
  const [xz, xr, xh] = tf.split(projected, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hz, hr] = tf.split(tf.matMul(state.h, kernels.gates), 2, 1) as [tf.Tensor2D, tf.Tensor2D];
  const z = tf.sigmoid(tf.add(xz, hz));
  const r = tf.sigmoid(tf.add(xr, hr));
  const candidate = tf.tanh(tf.add(xh, tf.matMul(tf.mul(r, state.h), kernels.candidate)));
  return { h: tf.add(tf.mul(z, state.h), tf.mul(tf.sub(1, z), candidate)) };
}

function zeroState(cell: TextNetworkWeights['cell'], units: number, batch: number): LayerState {
  return { h: tf.zeros([batch, units]), ...(cell === 'lstm' ? { c: tf.zeros([batch, units]) } : {}) };
}

/** All-zero states of every layer for `batch` sequences; the caller disposes them. */
export function zeroStates(weights: TextNetworkWeights, batch: number): LayerState[] {
  return weights.layers.map(() => zeroState(weights.cell, weights.units, batch));
}

/** Randomness of a training pass: dropout on each recurrent layer's outputs, seeded per layer. */
export interface DropoutSpec {
  rate: number;
  /** Seeds the mask of layer `i` with `seed + i`. */
  seed: number;
}

/**
 * Runs windows through the network from zero states. `inputs` is time-major, `[seqLength, batch]`
 * int32 character indices; returns logits `[seqLength · batch, vocabularySize]` in the same
 * (time-major) order. Call inside `tf.tidy` or a gradient function: it leaves its intermediates.
 * `inference`: no gradient will be taken, so the fast layers keep nothing for a backward pass.
 */
export function forwardWindows(weights: TextNetworkWeights, inputs: tf.Tensor2D, dropout?: DropoutSpec, inference = false): tf.Tensor2D {
  const [seqLength, batch] = inputs.shape;
  let x = tf.oneHot(tf.reshape<tf.Rank.R1>(inputs, [-1]), weights.vocabularySize) as tf.Tensor2D;
  const fast = useFastRecurrent();
  weights.layers.forEach((layer, index) => {
    if (fast) {
      // The same arithmetic with a hand-written backward pass (src/recurrent), much faster to train.
      const sequence = tf.reshape<tf.Rank.R3>(x, [seqLength, batch, x.shape[1]]);
      const options = { recurrentActivation: 'sigmoid', timeMajor: true, inference } as const;
      const outputs = weights.cell === 'lstm' ? lstmSequence(sequence, layer, options).outputs : gruSequence(sequence, layer, options).outputs;
      x = tf.reshape<tf.Rank.R2>(outputs, [seqLength * batch, weights.units]);
    } else {
      const projected = tf.add(tf.matMul(x, layer.kernel), layer.bias);
      const steps = tf.unstack(tf.reshape(projected, [seqLength, batch, -1])) as tf.Tensor2D[];
      const kernels = splitRecurrentKernel(weights.cell, layer);
      let state = zeroState(weights.cell, weights.units, batch);
      const outputs = steps.map((step) => (state = cellStep(kernels, step, state)).h);
      x = tf.reshape<tf.Rank.R2>(tf.stack(outputs), [seqLength * batch, weights.units]);
    }
    if (dropout && dropout.rate > 0) x = tf.dropout(x, dropout.rate, undefined, dropout.seed + index) as tf.Tensor2D;
  });
  return tf.add<tf.Tensor2D>(tf.matMul(x, weights.outputKernel), weights.outputBias);
}

/**
 * Advances a single sequence (batch 1) by one character, `UNKNOWN_CHAR_INDEX` meaning an all-zero
 * input. Returns the new states and, when `withLogits`, the logits `[1, vocabularySize]` of the
 * next character. The caller owns (and disposes) what it returns; the intermediates are freed.
 */
export function stepOneCharacter(weights: TextNetworkWeights, index: number, states: readonly LayerState[], withLogits: boolean): { states: LayerState[]; logits: tf.Tensor2D | null } {
  const kept = tf.tidy(() => {
    const next: LayerState[] = [];
    let x: tf.Tensor2D | null = null;
    weights.layers.forEach((layer, i) => {
      const bias = tf.reshape<tf.Rank.R2>(layer.bias, [1, -1]);
      let projected: tf.Tensor2D;
      if (x) projected = tf.add(tf.matMul(x, layer.kernel), bias);
      else if (index === UNKNOWN_CHAR_INDEX) projected = bias;
      else projected = tf.add(tf.slice(layer.kernel, [index, 0], [1, -1]), bias); // the one-hot matmul is a row lookup
      const state = cellStep(splitRecurrentKernel(weights.cell, layer), projected, states[i]!);
      next.push(state);
      x = state.h;
    });
    const logits = withLogits ? [tf.add<tf.Tensor2D>(tf.matMul(x!, weights.outputKernel), weights.outputBias)] : [];
    return [...next.flatMap((state) => (state.c ? [state.h, state.c] : [state.h])), ...logits];
  });
  const perLayer = weights.cell === 'lstm' ? 2 : 1;
  const next = weights.layers.map((_, i) => ({ h: kept[i * perLayer]!, ...(perLayer === 2 ? { c: kept[i * perLayer + 1]! } : {}) }));
  return { states: next, logits: withLogits ? kept.at(-1)! : null };
}
