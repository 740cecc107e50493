import * as tf from '@tensorflow/tfjs-core';
import { PAD_ID, UNK_ID } from './tokenizer.ts';

/**
 * 1 where a target token is trained on, 0 elsewhere: `[batch, steps]` float32. Padding is
 * excluded, and so is `<unk>`: replies never generate it (see `ReplyDecoder`), so the model spends
 * no probability on it and its log-probabilities stay comparable with the decoder's.
 */
export function targetMask(targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.cast(tf.logicalAnd(tf.notEqual(targets, PAD_ID), tf.notEqual(targets, UNK_ID)), 'float32') as tf.Tensor2D);
}

/**
 * Mean cross-entropy over the masked-in target tokens: logits `[batch, steps, vocabularySize]`,
 * targets `[batch, steps]` (int32), mask from `targetMask`. A batch with no such token gives 0.
 */
export function maskedCrossEntropy(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const vocabularySize = logits.shape[2];
    const flatLogits = tf.reshape(logits, [-1, vocabularySize]);
    const flatTargets = tf.oneHot(tf.reshape(targets, [-1]), vocabularySize);
    const perToken = tf.losses.softmaxCrossEntropy(flatTargets, flatLogits, undefined, 0, tf.Reduction.NONE);
    const flatMask = tf.reshape(mask, [-1]);
    return tf.div<tf.Scalar>(tf.sum(tf.mul(perToken, flatMask)), tf.maximum(tf.sum(flatMask), 1));
  });
}

/** Masked-in target tokens whose logit is the highest: the number right (float32 scalar). */
export function countCorrectTokens(logits: tf.Tensor3D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32'), mask)));
}
