// The mean squared error of a tfjs-layers model's output against targets: the objective of any
// model trained on rows of `x` → `y` tensors (as `model.fit` with `loss: 'meanSquaredError'`
// trains it; the price LSTM is one). It knows no family, so it lives beside the machinery; like
// every objective, replicas load it by module from its spec.
import * as tf from '@tensorflow/tfjs-core';
import type { ObjectiveSpec, ShardObjective } from './objective.ts';

/** Rows of inputs and targets, row-major, first axis the batch. */
export interface TensorShard {
  xs: Float32Array;
  xShape: number[];
  ys: Float32Array;
  yShape: number[];
}

/** Mean squared error of `model.apply(xs)` (training mode) against `ys`; a shard weighs its rows. */
export const createMeanSquaredErrorLoss: ShardObjective<undefined, TensorShard> = (model) => (shard) => {
  const { xs, xShape, ys, yShape } = shard;
  const predictions = model.apply(tf.tensor(xs, xShape, 'float32'), { training: true }) as tf.Tensor;
  const loss = tf.mean(tf.squaredDifference(tf.tensor(ys, yShape, 'float32'), predictions)) as tf.Scalar;
  return { loss, figures: () => ({ weight: xShape[0]!, extras: [] }) };
};

/** The spec of `createMeanSquaredErrorLoss`: shards are `TensorShard`s (see `splitTensorBatch`). */
export function meanSquaredErrorObjective(): ObjectiveSpec<TensorShard> {
  return { module: import.meta.url, export: 'createMeanSquaredErrorLoss' };
}

/** Splits a batch of `x` → `y` rows into `parts` near-equal `TensorShard`s (fewer when rows are fewer). */
export function splitTensorBatch(x: tf.Tensor, y: tf.Tensor, parts: number): TensorShard[] {
  const rows = x.shape[0]!;
  const count = Math.max(1, Math.min(parts, rows));
  const [xs, ys] = [x.dataSync() as Float32Array, y.dataSync() as Float32Array];
  const [xRow, yRow] = [x.size / rows, y.size / rows];
  return Array.from({ length: count }, (_, i) => {
    const [from, to] = [Math.round((i * rows) / count), Math.round(((i + 1) * rows) / count)];
    return {
      xs: xs.slice(from * xRow, to * xRow),
      xShape: [to - from, ...x.shape.slice(1)],
      ys: ys.slice(from * yRow, to * yRow),
      yShape: [to - from, ...y.shape.slice(1)],
    };
  });
}
