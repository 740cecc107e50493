import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.ts';

/** A tfjs optimizer's state (RMSprop's mean squares and moments, …): its iteration count and its slots in `getWeights()` order. */
export interface OptimizerSlots {
  iterations: number;
  /** Shape of each slot; the values are `values[i]`. */
  shapes: number[][];
  values: Float32Array[];
}

/** Copies of a tfjs optimizer's state (see `getWeights`); empty slots before its first step. */
export async function readTfjsOptimizer(optimizer: tf.Optimizer): Promise<OptimizerSlots> {
  const [iterations, ...slots] = await optimizer.getWeights();
  const count = (await iterations!.tensor.data())[0]!;
  iterations!.tensor.dispose();
  const values = await Promise.all(slots.map(async (slot) => new Float32Array(await slot.tensor.data<'float32'>())));
  return { iterations: count, shapes: slots.map((slot) => [...slot.tensor.shape]), values };
}

/** Restores what `readTfjsOptimizer` read into a fresh optimizer of the same kind, before its first step. */
export async function restoreTfjsOptimizer(optimizer: tf.Optimizer, state: OptimizerSlots): Promise<void> {
  if (state.values.length !== state.shapes.length) throw new ModelError('optimizer state: slots and shapes differ in number');
  const tensors = [tf.scalar(state.iterations, 'int32'), ...state.values.map((values, i) => tf.tensor(values, state.shapes[i]))];
  try {
    // A slot's name only labels it: tfjs optimizers match slots to variables by position.
    await optimizer.setWeights(tensors.map((tensor, i) => ({ name: i === 0 ? 'iter' : `slot${i}`, tensor })));
  } finally {
    tf.dispose(tensors);
  }
}
