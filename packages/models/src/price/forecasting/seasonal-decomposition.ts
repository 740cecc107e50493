import type { SeasonalAdjustment } from './forecaster.ts';

/** One-sided 95% point of the standard normal: the threshold of the seasonality test. */
const Z_95 = 1.6448536269514722;

/**
 * Sample autocorrelations r₁ … r_maxLag (the biased estimator of R's `acf` and statsmodels').
 */
export function autocorrelations(values: ArrayLike<number>, maxLag: number): number[] {
  const n = values.length;
  let mean = 0;
  for (let t = 0; t < n; t++) mean += values[t]!;
  mean /= n;
  let variance = 0;
  for (let t = 0; t < n; t++) variance += (values[t]! - mean) ** 2;
  const r: number[] = [];
  for (let k = 1; k <= maxLag; k++) {
    let covariance = 0;
    for (let t = k; t < n; t++) covariance += (values[t]! - mean) * (values[t - k]! - mean);
    r.push(variance === 0 ? 0 : covariance / variance);
  }
  return r;
}

/**
 * The seasonality test of R's `thetaf` and statsforecast's `AutoTheta`: the lag-`period`
 * autocorrelation is significant at 90% (two-sided) against Bartlett's standard error
 * √((1 + 2 Σ_{k<period} r_k²) / n). Needs period ≥ 2 and at least two full periods; false otherwise.
 */
export function isSeasonal(values: ArrayLike<number>, period: number): boolean {
  const n = values.length;
  if (period < 2 || n < 2 * period) return false;
  const r = autocorrelations(values, period);
  let sum = 0;
  for (let k = 0; k < period - 1; k++) sum += r[k]! ** 2;
  const standardError = Math.sqrt((1 + 2 * sum) / n);
  return Math.abs(r[period - 1]!) / standardError > Z_95;
}

/**
 * Seasonal indices of a classical decomposition (R's `decompose`, statsmodels'
 * `seasonal_decompose`): a centred moving average of order `period` (2×period for an even one)
 * estimates the trend; the ratios (multiplicative) or differences (additive) to it are averaged
 * per position t mod period, then normalised to mean 1 (multiplicative) or 0 (additive).
 * Needs at least two full periods.
 */
export function seasonalIndices(values: ArrayLike<number>, period: number, type: SeasonalAdjustment['type']): number[] {
  const n = values.length;
  if (!Number.isInteger(period) || period < 2 || n < 2 * period) throw new RangeError(`a decomposition needs period ≥ 2 and two periods of data (period ${period}, ${n} points)`);
  const half = Math.floor(period / 2);
  const even = period % 2 === 0;
  const sums = new Float64Array(period);
  const counts = new Float64Array(period);
  for (let t = half; t < n - half; t++) {
    let trend = 0;
    if (even) {
      trend = 0.5 * (values[t - half]! + values[t + half]!);
      for (let k = -half + 1; k < half; k++) trend += values[t + k]!;
    } else {
      for (let k = -half; k <= half; k++) trend += values[t + k]!;
    }
    trend /= period;
    sums[t % period]! += type === 'multiplicative' ? values[t]! / trend : values[t]! - trend;
    counts[t % period]! += 1;
  }
  const figure = Array.from(sums, (sum, k) => sum / counts[k]!);
  const mean = figure.reduce((a, b) => a + b, 0) / period;
  return figure.map((value) => (type === 'multiplicative' ? value / mean : value - mean));
}

/**
 * The adjustment `Theta` and `AutoTheta` apply: none unless `period` is given and the series
 * passes {@link isSeasonal}; multiplicative when every value is positive and no index falls
 * below 0.01, else additive.
 */
export function chooseSeasonalAdjustment(values: ArrayLike<number>, period: number | undefined): SeasonalAdjustment | null {
  if (period === undefined || !isSeasonal(values, period)) return null;
  let positive = true;
  for (let t = 0; t < values.length; t++) if (!(values[t]! > 0)) positive = false;
  if (positive) {
    const indices = seasonalIndices(values, period, 'multiplicative');
    if (indices.every((index) => index >= 0.01)) return { type: 'multiplicative', period, indices };
  }
  return { type: 'additive', period, indices: seasonalIndices(values, period, 'additive') };
}

/** The series with the seasonal component removed. */
export function removeSeasonal(values: ArrayLike<number>, adjustment: SeasonalAdjustment | null): Float64Array {
  const out = Float64Array.from(values);
  if (!adjustment) return out;
  const { type, period, indices } = adjustment;
  for (let t = 0; t < out.length; t++) {
    out[t] = type === 'multiplicative' ? out[t]! / indices[t % period]! : out[t]! - indices[t % period]!;
  }
  return out;
}

/** Puts the seasonal component back into values that stand at times `firstTime`, `firstTime + 1`, … */
export function restoreSeasonal(values: readonly number[], adjustment: SeasonalAdjustment | null, firstTime: number): number[] {
  if (!adjustment) return [...values];
  const { type, period, indices } = adjustment;
  return values.map((value, j) => {
    const index = indices[(firstTime + j) % period]!;
    return type === 'multiplicative' ? value * index : value + index;
  });
}
