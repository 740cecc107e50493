import { fitLinear, predictLinear } from './linear.ts';

/** Errors of point forecasts ŷ against actual values y over n points. */
export interface ErrorMetrics {
  /** Mean absolute error, (1/n) Σ |yᵢ − ŷᵢ|, in price units. */
  mae: number;
  /** Root mean squared error, √((1/n) Σ (yᵢ − ŷᵢ)²), in price units. */
  rmse: number;
  /**
   * Mean absolute percentage error in percent, (100/m) Σ |(yᵢ − ŷᵢ) / yᵢ| over the m points whose
   * actual yᵢ is not zero; null when every actual is zero.
   */
  mape: number | null;
}

/** Errors of the model and of two baselines over the same points. */
export interface BaselineComparison {
  model: ErrorMetrics;
  /** Naive baseline: tomorrow's close is today's. */
  naive: ErrorMetrics;
  /** Linear baseline: least squares of close on the time index, fitted on the training part. */
  linear: ErrorMetrics;
}

/**
 * Metrics on the held-out tail (the last `holdout` points, never fitted on).
 *
 * The top-level `model`/`naive`/`linear` are one-step-ahead: holdout point t is predicted from
 * the actual closes before it — the LSTM from its window of actual closes ending at t − 1, naive
 * as the actual close at t − 1, linear as the training-part line at t (a line does not use the
 * previous value). A linear model's own `model` errors are the same as the linear baseline's.
 *
 * `multiStep` is what a forecast made at the end of the training part would have scored: the
 * LSTM forecasts all `holdout` points recursively (feeding its own predictions back), naive
 * repeats the last training close, linear extends the training-part line.
 */
export interface PriceMetrics extends BaselineComparison {
  /** Points the metrics are computed on. */
  holdout: number;
  /** How the top-level metrics forecast the holdout. */
  method: 'one-step-ahead';
  /** The same comparison for a recursive `holdout`-step forecast from the end of the training part. */
  multiStep: BaselineComparison;
}

function checkLengths(actual: readonly number[], predicted: readonly number[]): void {
  if (actual.length !== predicted.length || actual.length === 0) {
    throw new RangeError(`metrics need equal, non-empty actual and predicted arrays (got ${actual.length} and ${predicted.length})`);
  }
}

/** Mean absolute error (1/n) Σ |yᵢ − ŷᵢ|, in the unit of the values. */
export function mae(actual: readonly number[], predicted: readonly number[]): number {
  checkLengths(actual, predicted);
  return actual.reduce((sum, a, i) => sum + Math.abs(a - predicted[i]!), 0) / actual.length;
}

/** Root mean squared error √((1/n) Σ (yᵢ − ŷᵢ)²), in the unit of the values. */
export function rmse(actual: readonly number[], predicted: readonly number[]): number {
  checkLengths(actual, predicted);
  return Math.sqrt(actual.reduce((sum, a, i) => sum + (a - predicted[i]!) ** 2, 0) / actual.length);
}

/** Mean absolute percentage error (100/m) Σ |(yᵢ − ŷᵢ) / yᵢ| in percent, skipping zero actuals; null if all are zero. */
export function mape(actual: readonly number[], predicted: readonly number[]): number | null {
  checkLengths(actual, predicted);
  let sum = 0;
  let count = 0;
  actual.forEach((a, i) => {
    if (a !== 0) {
      sum += Math.abs((a - predicted[i]!) / a);
      count++;
    }
  });
  return count === 0 ? null : (100 * sum) / count;
}

/** MAE, RMSE and MAPE of `predicted` against `actual` (equal, non-empty lengths). */
export function evaluate(actual: readonly number[], predicted: readonly number[]): ErrorMetrics {
  return { mae: mae(actual, predicted), rmse: rmse(actual, predicted), mape: mape(actual, predicted) };
}

/**
 * Scores a model on the last `holdout` closes against the naive and linear baselines (see
 * `PriceMetrics` for what each number means).
 * @param closes the whole series, oldest first, holdout included
 * @param oneStep the model's one-step-ahead prediction of each holdout point (`holdout` values)
 * @param multiStep the model's recursive forecast of the holdout from the training part (`holdout` values)
 */
export function evaluateHoldout(closes: readonly number[], holdout: number, oneStep: readonly number[], multiStep: readonly number[]): PriceMetrics {
  const n = closes.length;
  if (holdout < 1 || holdout >= n) throw new RangeError(`holdout must be in 1..${n - 1}, got ${holdout}`);
  const actual = closes.slice(n - holdout);
  const trainLine = predictLinear(fitLinear(closes.slice(0, n - holdout)), n - holdout, holdout);
  const lastTrainClose = closes[n - holdout - 1]!;
  return {
    model: evaluate(actual, oneStep),
    naive: evaluate(actual, closes.slice(n - holdout - 1, n - 1)),
    linear: evaluate(actual, trainLine),
    holdout,
    method: 'one-step-ahead',
    multiStep: {
      model: evaluate(actual, multiStep),
      naive: evaluate(
        actual,
        actual.map(() => lastTrainClose),
      ),
      linear: evaluate(actual, trainLine),
    },
  };
}
