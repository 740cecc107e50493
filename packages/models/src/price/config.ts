import { ModelConfigError } from '../errors.ts';

/** Hyperparameters of the price LSTM. */
export interface PriceLstmParams {
  /** Input window length, in points. */
  window: number;
  /** Units of the first LSTM layer (returns sequences). */
  units1: number;
  /** Units of the second LSTM layer. */
  units2: number;
  /** Dropout rate after each LSTM layer. */
  dropout: number;
  /** Passes over the training windows. */
  epochs: number;
  /** Windows per gradient step. */
  batchSize: number;
  /** RMSprop learning rate. */
  learningRate: number;
  /** Share of the training windows (the most recent ones) used for validation loss. */
  validationSplit: number;
  /** Input scaling: `relative` to each window's last close, `minmax`, or `auto` (relative when all closes are positive). */
  scaling: (typeof scalingChoices)[number];
}

/** The talk's network: LSTM(50, seq) → Dropout(0.2) → LSTM(100) → Dropout(0.2) → Dense(1). */
export const priceLstmDefaults: Readonly<PriceLstmParams> = {
  window: 50,
  units1: 50,
  units2: 100,
  dropout: 0.2,
  epochs: 10,
  batchSize: 512,
  learningRate: 0.001,
  validationSplit: 0.1,
  scaling: 'auto',
};

/** Inclusive bounds of a numeric parameter (`min` exclusive when `exclusiveMin`). */
export type Bound = { min: number; max: number; integer: boolean; exclusiveMin?: boolean };

type NumericParam = Exclude<keyof PriceLstmParams, 'scaling'>;
/** Accepted values of `scaling`; `auto` is `relative` when every training close is positive, else `minmax`. */
export const scalingChoices = ['auto', 'relative', 'minmax'] as const;

/** Bounds of every numeric LSTM parameter; `@mlq/jobs`' schemas mirror them (a worker test keeps them equal). */
export const priceLstmBounds: Readonly<Record<NumericParam, Bound>> = {
  window: { min: 2, max: 365, integer: true },
  units1: { min: 1, max: 512, integer: true },
  units2: { min: 1, max: 512, integer: true },
  dropout: { min: 0, max: 0.9, integer: false },
  epochs: { min: 1, max: 1000, integer: true },
  batchSize: { min: 1, max: 4096, integer: true },
  learningRate: { min: 0, max: 1, integer: false, exclusiveMin: true },
  validationSplit: { min: 0, max: 0.5, integer: false },
};

/** Forecast horizon in points: default 10 days, as in the talk. */
export const horizonBounds = { min: 1, max: 365, default: 10 } as const;
/** Points held out at the end for metrics (default: the horizon). */
export const holdoutBounds = { min: 1, max: 365 } as const;
/** Fewest training windows an LSTM is fitted on. */
export const MIN_TRAINING_WINDOWS = 10;
/** Fewest training points of a linear fit. */
export const MIN_LINEAR_POINTS = 2;

function checkBound(field: string, value: unknown, bound: Bound): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ModelConfigError(field, `must be a finite number, got ${String(value)}`);
  if (bound.integer && !Number.isInteger(value)) throw new ModelConfigError(field, `must be an integer, got ${value}`);
  if (bound.exclusiveMin ? value <= bound.min : value < bound.min) {
    throw new ModelConfigError(field, `must be ${bound.exclusiveMin ? '>' : '>='} ${bound.min}, got ${value}`);
  }
  if (value > bound.max) throw new ModelConfigError(field, `must be <= ${bound.max}, got ${value}`);
}

/**
 * Fills defaults and checks every field against its bounds; throws `ModelConfigError` naming the
 * field and the bound (`window must be <= 365, got 400`). Unknown fields are errors too.
 */
export function validatePriceParams(params: Partial<PriceLstmParams> = {}): PriceLstmParams {
  for (const key of Object.keys(params)) {
    if (!(key in priceLstmDefaults)) throw new ModelConfigError(key, `is not a price LSTM parameter (known: ${Object.keys(priceLstmDefaults).join(', ')})`);
  }
  const resolved = { ...priceLstmDefaults, ...Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) } as PriceLstmParams;
  for (const [field, bound] of Object.entries(priceLstmBounds)) checkBound(field, resolved[field as NumericParam], bound);
  if (!scalingChoices.includes(resolved.scaling)) throw new ModelConfigError('scaling', `must be one of ${scalingChoices.join(', ')}, got ${String(resolved.scaling)}`);
  return resolved;
}

/** Checks a horizon or holdout length (integer points, 1–365); throws ModelConfigError naming it. */
export function checkHorizon(field: 'horizon' | 'holdout', value: number): number {
  checkBound(field, value, { ...(field === 'horizon' ? horizonBounds : holdoutBounds), integer: true });
  return value;
}
