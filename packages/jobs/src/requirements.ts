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
