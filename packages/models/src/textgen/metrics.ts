import * as tf from '@tensorflow/tfjs-core';

/** Cross-entropy in nats per character → bits per character. */
export function bitsPerChar(nats: number): number {
  return nats / Math.LN2;
}

/**
 * Entropy of the corpus' character frequencies in bits per character: what a model that ignores
 * context (a unigram model) scores at best. A character model is useful once it goes clearly below.
 * Characters are Unicode code points; 0 for an empty text.
 */
export function unigramEntropyBits(text: string): number {
  return entropyOfSymbols(text);
}

/** The same entropy over encoded characters (vocabulary indices). */
export function unigramEntropyOfIndices(indices: Int32Array): number {
  return entropyOfSymbols(indices);
}

function entropyOfSymbols<T>(symbols: Iterable<T>): number {
  const counts = new Map<T, number>();
  let total = 0;
  for (const symbol of symbols) {
    counts.set(symbol, (counts.get(symbol) ?? 0) + 1);
    total++;
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / total;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * Mean softmax cross-entropy in nats of `logits` `[count, vocabularySize]` against the target
 * indices `[count]` (int32).
 */
export function crossEntropyNats(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.neg<tf.Scalar>(tf.mean<tf.Scalar>(tf.sum(tf.mul(tf.oneHot(targets, logits.shape[1]), tf.logSoftmax(logits)), 1))));
}
