import { readSeries, stateBase, wrapFitted, type FittedForecaster, type Forecaster, type LinearTrendState, type SeriesInput } from './forecaster.ts';

/** intercept + slope · t, by least squares. */
export interface TrendLine {
  /** Value of the line at t = 0. */
  intercept: number;
  slope: number;
}

/**
 * Ordinary least squares of `values[i]` on t = firstTime + i. One value gives a flat line.
 * @param firstTime the time index of the first value (0 or 1: R's `lsfit(0:(n-1), x)` or t = 1 … n)
 */
export function fitTrendLine(values: ArrayLike<number>, firstTime = 0): TrendLine {
  const n = values.length;
  if (n === 0) throw new RangeError('a trend line needs at least one value');
  const meanT = firstTime + (n - 1) / 2;
  let meanY = 0;
  for (let i = 0; i < n; i++) meanY += values[i]!;
  meanY /= n;
  if (n === 1) return { intercept: meanY, slope: 0 };
  let covariance = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    const dt = firstTime + i - meanT;
    covariance += dt * (values[i]! - meanY);
    variance += dt * dt;
  }
  const slope = covariance / variance;
  return { intercept: meanY - slope * meanT, slope };
}

/** The least-squares line on time, extended: the talk's linear baseline as a forecaster. */
export function linearTrend(): Forecaster {
  return {
    method: 'linearTrend',
    label: 'linearTrend',
    minLength: 2,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, 2, 'linearTrend');
      const { intercept, slope } = fitTrendLine(values);
      const fitted = Array.from(values, (_, t) => intercept + slope * t);
      return restoreLinearTrend({ ...stateBase('linearTrend', values, fitted), method: 'linearTrend', intercept, slope });
    },
  };
}

export function restoreLinearTrend(state: LinearTrendState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => Array.from({ length: horizon }, (_, j) => s.intercept + s.slope * (s.length + j)));
}
