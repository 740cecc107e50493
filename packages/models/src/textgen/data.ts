import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.ts';
import type { TextGenParams } from './config.ts';
import { deriveSeed, RandomStream, shuffledIndices } from '../random.ts';

/** The corpus is too short for the requested windows and validation share. */
export class CorpusTooShortError extends ModelError {
  constructor(
    /** Characters (code points) in the text. */
    readonly characters: number,
    /** Fewest characters that would do. */
    readonly needed: number,
    detail: string,
  ) {
    super(`text has ${characters} characters; ${detail} needs at least ${needed}`);
  }
}

/** A corpus encoded as vocabulary indices and split for training. */
export interface TextSplit {
  /** The leading part, cut into training windows. */
  train: Int32Array;
  /** The trailing `validationSplit` share (empty when 0), never trained on. */
  validation: Int32Array;
}

/** Characters the validation part gets: the last `floor(length · validationSplit)`. */
const validationLength = (length: number, validationSplit: number) => Math.floor(length * validationSplit);

/**
 * Splits the encoded corpus: training part first, validation part (a contiguous tail, so no window
 * of one overlaps the other) last. Each part must hold at least one window of `seqLength + 1`
 * characters (inputs plus the shifted targets), else `CorpusTooShortError`.
 */
export function splitCorpus(codes: Int32Array, params: Pick<TextGenParams, 'seqLength' | 'validationSplit'>): TextSplit {
  const window = params.seqLength + 1;
  const fits = (length: number) =>
    length - validationLength(length, params.validationSplit) >= window && (params.validationSplit === 0 || validationLength(length, params.validationSplit) >= window);
  if (!fits(codes.length)) {
    const needed = leastFittingLength(window, params.validationSplit, fits);
    const detail =
      params.validationSplit === 0 ? `seqLength ${params.seqLength}` : `seqLength ${params.seqLength} with validationSplit ${params.validationSplit} (a window of ${window} in each part)`;
    throw new CorpusTooShortError(codes.length, needed, detail);
  }
  const cut = codes.length - validationLength(codes.length, params.validationSplit);
  return { train: codes.subarray(0, cut), validation: codes.subarray(cut) };
}

/**
 * The least corpus length that `fits`, computed rather than counted up to: a tiny split needs
 * billions of characters. floor(n·s) >= w from n >= w/s, and n - floor(n·s) >= w from
 * n·(1 - s) > w - 1; the larger bound, corrected by a step or two for the divisions' rounding.
 */
function leastFittingLength(window: number, split: number, fits: (length: number) => boolean): number {
  if (split === 0) return window;
  let needed = Math.max(window, Math.ceil(window / split), Math.floor((window - 1) / (1 - split)) + 1);
  if (!(needed <= Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
  for (let step = 0; step < 4 && needed > window && fits(needed - 1); step++) needed--;
  for (let step = 0; step < 4 && !fits(needed); step++) needed++;
  return needed;
}

/** Training windows start every `step` characters while a whole window of `seqLength + 1` fits. */
export function countTrainingWindows(trainLength: number, params: Pick<TextGenParams, 'seqLength' | 'step'>): number {
  return Math.floor((trainLength - params.seqLength - 1) / params.step) + 1;
}

/** Validation windows tile the validation part every `seqLength` characters (each target scored once). */
export function countValidationWindows(validationLength: number, seqLength: number): number {
  return validationLength > seqLength ? Math.floor((validationLength - 1) / seqLength) : 0;
}

/** The order of the training windows in epoch `epoch` (0-based): a permutation derived from seed and epoch alone. */
export function epochOrder(windowCount: number, seed: number, epoch: number): Uint32Array {
  return shuffledIndices(windowCount, deriveSeed(seed, RandomStream.shuffle, epoch));
}

/** A batch of windows, time-major. */
export interface WindowBatch {
  /** `[seqLength, batch]` int32 character indices. */
  inputs: tf.Tensor2D;
  /** `[seqLength · batch]` int32: the character after each input, in the same time-major order. */
  targets: tf.Tensor1D;
}

/** Builds the batch of windows starting at `starts` in `codes`; the caller disposes it. */
export function createWindowBatch(codes: Int32Array, starts: ArrayLike<number>, seqLength: number): WindowBatch {
  const batch = starts.length;
  const inputs = new Int32Array(seqLength * batch);
  const targets = new Int32Array(seqLength * batch);
  for (let b = 0; b < batch; b++) {
    const start = starts[b]!;
    for (let t = 0; t < seqLength; t++) {
      inputs[t * batch + b] = codes[start + t]!;
      targets[t * batch + b] = codes[start + t + 1]!;
    }
  }
  return { inputs: tf.tensor2d(inputs, [seqLength, batch], 'int32'), targets: tf.tensor1d(targets, 'int32') };
}
