// The chatbot's training objective for data-parallel steps: replica threads load it by module
// (see `ObjectiveSpec`), so parallel/ never imports this family.
import * as tf from '@tensorflow/tfjs-core';
import type { ObjectiveSpec, ShardObjective } from '../parallel/objective.ts';
import { createBatch, type EncodedPair } from './data.ts';
import { countCorrectTokens, maskedCrossEntropy, targetMask } from './loss.ts';
import { createTrainingView } from './model.ts';
import { ensureSegmentSumKernel } from './segment-sum-kernel.ts';

/** Encoded (message → reply) pairs. */
export interface PairShard {
  pairs: EncodedPair[];
}

/**
 * The seq2seq network's cross-entropy per trained reply token (padding and `<unk>` left out); a
 * shard weighs its trained tokens, and its figures' extras are `[right tokens]`.
 */
export const createSeq2SeqCrossEntropyLoss: ShardObjective<undefined, PairShard> = (model) => {
  ensureSegmentSumKernel();
  const view = createTrainingView(model);
  return ({ pairs }) => {
    const batch = createBatch(pairs);
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
};

/** The spec of `createSeq2SeqCrossEntropyLoss`: shards are `PairShard`s (see `splitPairs`). */
export function seq2seqCrossEntropyObjective(): ObjectiveSpec<PairShard> {
  return { module: import.meta.url, export: 'createSeq2SeqCrossEntropyLoss' };
}

/** Splits pairs into `parts` near-equal `PairShard`s (fewer when pairs are fewer); each is padded to its own longest. */
export function splitPairs(pairs: readonly EncodedPair[], parts: number): PairShard[] {
  const count = Math.max(1, Math.min(parts, pairs.length));
  return Array.from({ length: count }, (_, i) => ({ pairs: pairs.slice(Math.round((i * pairs.length) / count), Math.round(((i + 1) * pairs.length) / count)) }));
}
