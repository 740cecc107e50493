import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ShardFigures, ShardLoss } from './objective.ts';

/** The tf.Variables behind a model's trainable weights, in the model's order. */
export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((weight) => weight.read() as tf.Variable);
}

/** The loss of one shard, its gradient for each variable (in the order given) and its figures; intermediates are freed, the caller owns the rest. */
export function shardGradients<Shard>(loss: ShardLoss<Shard>, variables: tf.Variable[], shard: Shard, seed: number): { loss: tf.Scalar; grads: tf.Tensor[]; figures: ShardFigures } {
  let figures: (() => ShardFigures) | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const step = loss(shard, seed);
    figures = step.figures;
    return step.loss;
  }, variables);
  return { loss: value, grads: variables.map((variable) => grads[variable.name]!), figures: figures!() };
}

/** Tensors of the given sizes concatenated into one array: the variables' values, or their gradients. */
export function flatten(tensors: readonly tf.Tensor[]): Float32Array {
  const flat = new Float32Array(tensors.reduce((sum, t) => sum + t.size, 0));
  let offset = 0;
  for (const tensor of tensors) {
    flat.set(tensor.dataSync() as Float32Array, offset);
    offset += tensor.size;
  }
  return flat;
}

/** Assigns `flat` (as `flatten` made it of these variables) back to `variables`. */
export function assignFlat(variables: tf.Variable[], flat: Float32Array): void {
  let offset = 0;
  for (const variable of variables) {
    const value = tf.tensor(flat.subarray(offset, offset + variable.size), variable.shape, 'float32');
    variable.assign(value);
    value.dispose();
    offset += variable.size;
  }
}
