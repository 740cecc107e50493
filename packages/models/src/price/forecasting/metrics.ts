/** Accuracy of one forecast against what happened. */
export interface ForecastScores {
  /** Mean absolute error, (1/h) Σ |yⱼ − ŷⱼ|, in the series' unit. */
  mae: number;
  /** Root mean squared error, √((1/h) Σ (yⱼ − ŷⱼ)²), in the series' unit. */
  rmse: number;
  /** Mean absolute percentage error in percent, (100/h) Σ |(yⱼ − ŷⱼ)/yⱼ|; null when an actual is 0. */
  mape: number | null;
  /**
   * Mean absolute scaled error: MAE divided by the in-sample MAE of the one-step naive forecast on
   * the training part, (1/(n − m)) Σₜ |yₜ − yₜ₋ₘ| with m = 1 (naive), or m = the seasonal period
   * when one is given (seasonal naive; Hyndman & Koehler 2006). Below 1: better than the naive
   * method did in sample. null when that scale is 0 (a constant training part) or undefined (n ≤ m).
   */
  mase: number | null;
}

function checkLengths(actual: ArrayLike<number>, forecast: ArrayLike<number>): void {
  if (actual.length !== forecast.length || actual.length === 0) {
    throw new RangeError(`scores need equal, non-empty actual and forecast arrays (got ${actual.length} and ${forecast.length})`);
  }
}

/** (1/h) Σ |yⱼ − ŷⱼ|. */
export function meanAbsoluteError(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let j = 0; j < actual.length; j++) sum += Math.abs(actual[j]! - forecast[j]!);
  return sum / actual.length;
}

/** √((1/h) Σ (yⱼ − ŷⱼ)²). */
export function rootMeanSquaredError(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let j = 0; j < actual.length; j++) sum += (actual[j]! - forecast[j]!) ** 2;
  return Math.sqrt(sum / actual.length);
}

/**
 * (100/h) Σ |(yⱼ − ŷⱼ)/yⱼ| in percent; null when any actual is 0 (the percentage is undefined
 * there, and skipping such points would silently score a different set).
 */
export function meanAbsolutePercentageError(actual: ArrayLike<number>, forecast: ArrayLike<number>): number | null {
  checkLengths(actual, forecast);
  let sum = 0;
  for (let j = 0; j < actual.length; j++) {
    if (actual[j] === 0) return null;
    sum += Math.abs((actual[j]! - forecast[j]!) / actual[j]!);
  }
  return (100 * sum) / actual.length;
}

/**
 * The in-sample MAE of the (seasonal) naive one-step forecast, (1/(n − m)) Σₜ₌ₘ |yₜ − yₜ₋ₘ|: the
 * scale of MASE. null when the training part has no m + 1 points.
 * @param period m; 1 for the naive forecast
 */
export function naiveScale(train: ArrayLike<number>, period = 1): number | null {
  if (!Number.isInteger(period) || period < 1) throw new RangeError(`period must be a positive integer, got ${period}`);
  if (train.length <= period) return null;
  let sum = 0;
  for (let t = period; t < train.length; t++) sum += Math.abs(train[t]! - train[t - period]!);
  return sum / (train.length - period);
}

/** MAE / {@link naiveScale}; null when the scale is 0 or undefined. */
export function meanAbsoluteScaledError(actual: ArrayLike<number>, forecast: ArrayLike<number>, train: ArrayLike<number>, period = 1): number | null {
  const scale = naiveScale(train, period);
  const mae = meanAbsoluteError(actual, forecast);
  return scale === null || scale === 0 ? null : mae / scale;
}

/** Every score of {@link ForecastScores} for one forecast made at the end of `train`. */
export function scoreForecast(actual: ArrayLike<number>, forecast: ArrayLike<number>, train: ArrayLike<number>, period = 1): ForecastScores {
  return {
    mae: meanAbsoluteError(actual, forecast),
    rmse: rootMeanSquaredError(actual, forecast),
    mape: meanAbsolutePercentageError(actual, forecast),
    mase: meanAbsoluteScaledError(actual, forecast, train, period),
  };
}
