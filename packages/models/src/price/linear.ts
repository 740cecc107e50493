/** y = intercept + slope · t, least squares on the time index t = 0, 1, … (the talk's baseline). */
export interface LinearFit {
  intercept: number;
  slope: number;
  /** Points it was fitted on (t = 0 … points − 1). */
  points: number;
}

/** Ordinary least squares of `values[t]` on t; one value gives a flat line. */
export function fitLinear(values: readonly number[]): LinearFit {
  const n = values.length;
  if (n === 0) throw new RangeError('a linear fit needs at least one value');
  if (n === 1) return { intercept: values[0]!, slope: 0, points: 1 };
  const meanT = (n - 1) / 2;
  const meanY = values.reduce((s, v) => s + v, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (let t = 0; t < n; t++) {
    covariance += (t - meanT) * (values[t]! - meanY);
    variance += (t - meanT) ** 2;
  }
  const slope = covariance / variance;
  return { intercept: meanY - slope * meanT, slope, points: n };
}

/** The fitted line at time indices `from` … `from + count − 1`. */
export function predictLinear(fit: LinearFit, from: number, count: number): number[] {
  const line = new Array<number>(count);
  for (let i = 0; i < count; i++) line[i] = fit.intercept + fit.slope * (from + i);
  return line;
}
