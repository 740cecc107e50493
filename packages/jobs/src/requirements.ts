import type { PriceLstmParams } from './schemas.ts';

/** Defaults the API applies before the worker sees a request (mirrors `@mlq/models`). */
export const PRICE_DEFAULT_WINDOW = 50;
export const PRICE_DEFAULT_HORIZON = 10;
/** Fewest training windows an LSTM is fitted on (mirrors `@mlq/models`). */
export const PRICE_MIN_TRAINING_WINDOWS = 10;
/** Fewest training points a linear fit takes (mirrors `@mlq/models`). */
export const PRICE_MIN_LINEAR_POINTS = 2;

/**
 * Fewest points a series needs for a model: the held-out tail plus what training needs.
 * The API checks it to answer 400 at once; the worker's model library checks it again.
 */
export function requiredSeriesLength(
  architecture: 'lstm' | 'linear',
  params: PriceLstmParams | undefined,
  holdout: number | undefined,
): number {
  const held = holdout ?? PRICE_DEFAULT_HORIZON;
  if (architecture === 'linear') return held + PRICE_MIN_LINEAR_POINTS;
  return (params?.window ?? PRICE_DEFAULT_WINDOW) + held + PRICE_MIN_TRAINING_WINDOWS;
}

/**
 * The textgen presets (mirrors `@mlq/models`' `textGenPresets`; a worker contract test keeps them
 * equal), so the API can check a request before a worker builds anything.
 */
export const TEXTGEN_PRESETS = {
  default: { cell: 'gru', layers: 1, units: 128, seqLength: 60, step: 60, dropout: 0, batchSize: 32, epochs: 5, learningRate: 0.005, validationSplit: 0.05, checkpointEverySteps: 200 },
  talk: { cell: 'gru', layers: 3, units: 512, seqLength: 30, step: 30, dropout: 0.2, batchSize: 200, epochs: 10, learningRate: 0.001, validationSplit: 0.05, checkpointEverySteps: 500 },
} as const;

/**
 * Fewest characters a text needs for these textgen params: one window of `seqLength + 1` in the
 * training part and, when `validationSplit` > 0, one in the validation tail of
 * `floor(length · validationSplit)` characters (mirrors the model library's `splitCorpus`).
 * Computed, not searched: a tiny split needs billions of characters, and a search that counts up
 * to them would hold the API's event loop for as long. Beyond 2^53 it answers Infinity (no text
 * is that long).
 */
export function requiredTextCharacters(params: { seqLength?: number; validationSplit?: number } | undefined, preset: keyof typeof TEXTGEN_PRESETS = 'default'): number {
  const seqLength = params?.seqLength ?? TEXTGEN_PRESETS[preset].seqLength;
  const split = params?.validationSplit ?? TEXTGEN_PRESETS[preset].validationSplit;
  const window = seqLength + 1;
  if (split === 0) return window;
  const fits = (length: number) => {
    const validation = Math.floor(length * split);
    return length - validation >= window && validation >= window;
  };
  // floor(n·s) >= w  <=>  n >= w/s;  n - floor(n·s) >= w  <=>  n·(1 - s) > w - 1. Both hold from
  // the larger bound on, and fits() is monotone in n (s < 1), so the least n is that bound, give or
  // take the rounding of the divisions: a step or two, corrected below.
  const estimate = Math.max(window, Math.ceil(window / split), Math.floor((window - 1) / (1 - split)) + 1);
  if (!(estimate <= Number.MAX_SAFE_INTEGER)) return Number.POSITIVE_INFINITY;
  let needed = estimate;
  for (let step = 0; step < MAX_ROUNDING_STEPS && needed > window && fits(needed - 1); step++) needed--;
  for (let step = 0; step < MAX_ROUNDING_STEPS && !fits(needed); step++) needed++;
  return needed;
}

/** Corrections of a computed length for floating-point rounding: each division is off by less than one. */
const MAX_ROUNDING_STEPS = 4;

/** Default embedding width of the seq2seq model (mirrors `@mlq/models`' `seq2seqDefaults`). */
export const SEQ2SEQ_DEFAULT_EMBEDDING_SIZE = 64;
