import { readSeries, stateBase, wrapFitted, type DriftState, type FittedForecaster, type Forecaster, type SeriesInput } from './forecaster.ts';

/**
 * Random walk with drift: the last observation plus h times the average step,
 * (last − first) / (n − 1) — R's `rwf(drift = TRUE)`. Fits on two points.
 */
export function drift(): Forecaster {
  return {
    method: 'drift',
    label: 'drift',
    minLength: 2,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, 2, 'drift');
      const n = values.length;
      const slope = (values[n - 1]! - values[0]!) / (n - 1);
      const fitted = Array.from(values, (_, t) => (t === 0 ? Number.NaN : values[t - 1]! + slope));
      return restoreDrift({ ...stateBase('drift', values, fitted), method: 'drift', last: values[n - 1]!, slope });
    },
  };
}

export function restoreDrift(state: DriftState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => Array.from({ length: horizon }, (_, j) => s.last + (j + 1) * s.slope));
}
