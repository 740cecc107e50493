import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import type { TextGenParams } from '../textgen/config.ts';
import { createWindowBatch } from '../textgen/data.ts';
import { crossEntropyNats } from '../textgen/metrics.ts';
import { readNetworkWeights } from '../textgen/network.ts';
import { forwardWindows } from '../textgen/recurrent.ts';
import { createBatch, type EncodedPair } from '../seq2seq/data.ts';
import { countCorrectTokens, maskedCrossEntropy, targetMask } from '../seq2seq/loss.ts';
import { createTrainingView } from '../seq2seq/model.ts';
import { ensureSegmentSumKernel } from '../seq2seq/segment-sum-kernel.ts';

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
  | { kind: 'text-cross-entropy'; codes: Int32Array; cell: TextGenParams['cell']; vocabularySize: number; seqLength: number; dropout: number }
  /**
   * The seq2seq network's cross-entropy per trained reply token (padding and `<unk>` left out):
   * shards are `PairShard`s; a shard weighs its trained tokens, and its figures' extras are
   * `[right tokens]`.
   */
  | { kind: 'seq2seq-cross-entropy' };

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

/** Encoded (message → reply) pairs. */
export interface PairShard {
  pairs: EncodedPair[];
}

export type Shard = TensorShard | WindowShard | PairShard;

/** What a shard's step gives besides its gradients. */
export interface ShardFigures {
  /** The shard's share of the batch's mean loss: its rows, or its trained tokens. */
  weight: number;
  /** Counts summed over the shards (per objective; none for most). */
  extras: number[];
}

/**
 * The loss of one shard in training mode (`seed` seeds what is random in it, e.g. dropout), to be
 * differentiated, and its figures, read once the gradient is taken.
 */
export type ShardLoss = (shard: Shard, seed: number) => { loss: tf.Scalar; figures: () => ShardFigures };

/** Builds the objective `spec` describes over `model`'s weights. */
export function createShardLoss(spec: ObjectiveSpec, model: tfl.LayersModel): ShardLoss {
  switch (spec.kind) {
    case 'mean-squared-error':
      return (shard) => {
        const { xs, xShape, ys, yShape } = shard as TensorShard;
        const predictions = model.apply(tf.tensor(xs, xShape, 'float32'), { training: true }) as tf.Tensor;
        const loss = tf.mean(tf.squaredDifference(tf.tensor(ys, yShape, 'float32'), predictions)) as tf.Scalar;
        return { loss, figures: () => ({ weight: xShape[0]!, extras: [] }) };
      };
    case 'text-cross-entropy': {
      const weights = readNetworkWeights(model, spec.cell, spec.vocabularySize);
      return (shard, seed) => {
        const { starts } = shard as WindowShard;
        const batch = createWindowBatch(spec.codes, starts, spec.seqLength);
        const dropout = spec.dropout > 0 ? { rate: spec.dropout, seed } : undefined;
        return { loss: crossEntropyNats(forwardWindows(weights, batch.inputs, dropout), batch.targets), figures: () => ({ weight: starts.length, extras: [] }) };
      };
    }
    case 'seq2seq-cross-entropy': {
      ensureSegmentSumKernel();
      const view = createTrainingView(model);
      return (shard) => {
        const batch = createBatch((shard as PairShard).pairs);
        const logits = view.logits(batch.encoderTokens, batch.decoderTokens, true);
        const mask = targetMask(batch.targets);
        // Kept out of the gradient's scope, read (and freed) by `figures`.
        const counted = tf.keep(tf.sum<tf.Scalar>(mask));
        const right = tf.keep(countCorrectTokens(logits, batch.targets, mask));
        const loss = maskedCrossEntropy(logits, batch.targets, mask);
        return {
          loss,
          figures: () => {
            const figures = { weight: counted.dataSync()[0]!, extras: [right.dataSync()[0]!] };
            tf.dispose([counted, right]);
            return figures;
          },
        };
      };
    }
    default:
      throw new ModelError(`unknown training objective ${(spec as { kind: string }).kind}`);
  }
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

/** Splits pairs into `parts` near-equal `PairShard`s (fewer when pairs are fewer); each is padded to its own longest. */
export function splitPairs(pairs: readonly EncodedPair[], parts: number): PairShard[] {
  const count = Math.max(1, Math.min(parts, pairs.length));
  return Array.from({ length: count }, (_, i) => ({ pairs: pairs.slice(Math.round((i * pairs.length) / count), Math.round(((i + 1) * pairs.length) / count)) }));
}
