import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.ts';
import { END_ID, PAD_ID, START_ID, tokenize, type EncodedReply, type Tokenizer } from './tokenizer.ts';

/** One exchange: a friend's message and the reply the model should learn to give. */
export interface ChatPair {
  input: string;
  reply: string;
}

/** A pair as token ids (see `Tokenizer.encodeInput` / `encodeReply`). */
export interface EncodedPair {
  input: number[];
  reply: EncodedReply;
}

/** One padded batch; every tensor is int32, padded with `<pad>` (0) after the tokens. */
export interface Seq2SeqBatch {
  /** Messages `[batch, inputSteps]`, `inputSteps` = the batch's longest message (at least 2). */
  encoderTokens: tf.Tensor2D;
  /** `<start>` + reply `[batch, replySteps]`, `replySteps` = the batch's longest reply + 1. */
  decoderTokens: tf.Tensor2D;
  /** Reply + `<end>` (none after a cut reply) `[batch, replySteps]`: what each decoder step should output. */
  targets: tf.Tensor2D;
}

/** Throws `ModelError` unless `pairs` is an array of `{ input: string, reply: string }`. */
export function checkPairs(pairs: unknown): asserts pairs is readonly ChatPair[] {
  if (!Array.isArray(pairs)) throw new ModelError(`pairs must be an array of { input, reply }, got ${typeof pairs}`);
  pairs.forEach((pair: unknown, i) => {
    const { input, reply } = (pair ?? {}) as Partial<Record<keyof ChatPair, unknown>>;
    if (typeof input !== 'string' || typeof reply !== 'string') throw new ModelError(`pairs[${i}] must have string input and reply`);
  });
}

/** Pairs whose message and reply both hold at least one token; the others cannot teach anything. */
export function selectUsablePairs(pairs: readonly ChatPair[]): ChatPair[] {
  return pairs.filter((pair) => tokenize(pair.input).length > 0 && tokenize(pair.reply).length > 0);
}

/** Fisher–Yates with the given random source: the same seed gives the same order. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Splits off `floor(count × validationSplit)` pairs, chosen at random, for validation. */
export function splitValidation<T>(pairs: readonly T[], validationSplit: number, random: () => number): { training: T[]; validation: T[] } {
  const order = shuffled(pairs, random);
  const validationCount = Math.floor(pairs.length * validationSplit);
  return { training: order.slice(validationCount), validation: order.slice(0, validationCount) };
}

export function encodePairs(tokenizer: Tokenizer, pairs: readonly ChatPair[]): EncodedPair[] {
  return pairs.map((pair) => ({ input: tokenizer.encodeInput(pair.input), reply: tokenizer.encodeReply(pair.reply) }));
}

/** Builds the tensors of one batch (the caller disposes them), padded to its own longest sequences. */
export function createBatch(pairs: readonly EncodedPair[]): Seq2SeqBatch {
  const size = pairs.length;
  // At least 2 steps: tfjs' gradient of a 1-step LSTM fails (Unpack's gradient stacks an empty
  // list), and a padded step changes nothing under the mask.
  const inputSteps = Math.max(2, ...pairs.map((pair) => pair.input.length));
  const replySteps = Math.max(...pairs.map((pair) => pair.reply.ids.length)) + 1;
  const encoderTokens = new Int32Array(size * inputSteps).fill(PAD_ID);
  const decoderTokens = new Int32Array(size * replySteps).fill(PAD_ID);
  const targets = new Int32Array(size * replySteps).fill(PAD_ID);
  pairs.forEach(({ input, reply }, row) => {
    encoderTokens.set(input, row * inputSteps);
    decoderTokens.set([START_ID, ...reply.ids], row * replySteps);
    targets.set(reply.complete ? [...reply.ids, END_ID] : reply.ids, row * replySteps);
  });
  return {
    encoderTokens: tf.tensor2d(encoderTokens, [size, inputSteps], 'int32'),
    decoderTokens: tf.tensor2d(decoderTokens, [size, replySteps], 'int32'),
    targets: tf.tensor2d(targets, [size, replySteps], 'int32'),
  };
}

/** Consecutive slices of at most `batchSize` pairs. */
export function chunk<T>(items: readonly T[], batchSize: number): T[][] {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += batchSize) batches.push(items.slice(start, start + batchSize));
  return batches;
}
