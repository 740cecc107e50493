/** Errors of point forecasts against actual values. */
export interface ErrorMetrics {
  /** Mean absolute error, in price units. */
  mae: number;
  /** Root mean squared error, in price units. */
  rmse: number;
  /** Mean absolute percentage error in percent, over non-zero actuals; null if all are zero. */
  mape: number | null;
}

/** Holdout errors of the model and of two baselines: naive (previous value) and linear (trend on the time index). */
export interface PriceMetrics {
  model: ErrorMetrics;
  naive: ErrorMetrics;
  linear: ErrorMetrics;
  /** Points the metrics are computed on. */
  holdout: number;
  /** How forecasts were made on the holdout. */
  method: 'one-step-ahead';
}

export function mae(actual: readonly number[], predicted: readonly number[]): number {
  return actual.reduce((sum, a, i) => sum + Math.abs(a - predicted[i]!), 0) / actual.length;
}

export function rmse(actual: readonly number[], predicted: readonly number[]): number {
  return Math.sqrt(actual.reduce((sum, a, i) => sum + (a - predicted[i]!) ** 2, 0) / actual.length);
}

export function mape(actual: readonly number[], predicted: readonly number[]): number | null {
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

export function errorMetrics(actual: readonly number[], predicted: readonly number[]): ErrorMetrics {
  if (actual.length !== predicted.length || actual.length === 0) throw new Error('metrics need equal, non-empty actual and predicted arrays');
  return { mae: mae(actual, predicted), rmse: rmse(actual, predicted), mape: mape(actual, predicted) };
}
