import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import type { TextGenParams } from '../textgen/config.ts';
import { createWindowBatch } from '../textgen/data.ts';
import { crossEntropyNats } from '../textgen/metrics.ts';
import { readNetworkWeights } from '../textgen/network.ts';
import { forwardWindows } from '../textgen/recurrent.ts';

/**
 * What a training minimises, in a form a replica thread can be sent (structured-clonable): the
 * same objective is built on every thread from the same spec.
 */
export type ObjectiveSpec =
  /** A tfjs-layers model's output against targets: shards are `TensorShard`s. */
  | { kind: 'mean-squared-error' }
  /**
   * The text network's mean cross-entropy per character on windows of `codes` (the training
   * corpus' character indices; a SharedArrayBuffer-backed array reaches threads without a copy):
   * shards are `WindowShard`s.
   */
  | { kind: 'text-cross-entropy'; codes: Int32Array; cell: TextGenParams['cell']; vocabularySize: number; seqLength: number; dropout: number };

/** Rows of inputs and targets, row-major, first axis the batch. */
export interface TensorShard {
  xs: Float32Array;
  xShape: number[];
  ys: Float32Array;
  yShape: number[];
}

/** Start positions of the windows in the corpus. */
export interface WindowShard {
  starts: number[];
}

/** The loss of one shard, in training mode; `seed` seeds what is random in it (dropout). */
export type ShardLoss = (shard: TensorShard | WindowShard, seed: number) => tf.Scalar;

/** Builds the objective `spec` describes over `model`'s weights. */
export function createShardLoss(spec: ObjectiveSpec, model: tfl.LayersModel): ShardLoss {
  switch (spec.kind) {
    case 'mean-squared-error':
      return (shard) => {
        const { xs, xShape, ys, yShape } = shard as TensorShard;
        const predictions = model.apply(tf.tensor(xs, xShape, 'float32'), { training: true }) as tf.Tensor;
        return tf.mean(tf.squaredDifference(tf.tensor(ys, yShape, 'float32'), predictions)) as tf.Scalar;
      };
    case 'text-cross-entropy': {
      const weights = readNetworkWeights(model, spec.cell, spec.vocabularySize);
      return (shard, seed) => {
        const batch = createWindowBatch(spec.codes, (shard as WindowShard).starts, spec.seqLength);
        const dropout = spec.dropout > 0 ? { rate: spec.dropout, seed } : undefined;
        return crossEntropyNats(forwardWindows(weights, batch.inputs, dropout), batch.targets);
      };
    }
    default:
      throw new ModelError(`unknown training objective ${(spec as { kind: string }).kind}`);
  }
}

/** Rows of a shard: its share of the batch's loss. */
export function shardRows(shard: TensorShard | WindowShard): number {
  return 'starts' in shard ? shard.starts.length : shard.xShape[0]!;
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

/** Splits window starts into `parts` near-equal `WindowShard`s (fewer when windows are fewer). */
export function splitWindows(starts: readonly number[], parts: number): WindowShard[] {
  const count = Math.max(1, Math.min(parts, starts.length));
  return Array.from({ length: count }, (_, i) => ({ starts: starts.slice(Math.round((i * starts.length) / count), Math.round(((i + 1) * starts.length) / count)) }));
}
