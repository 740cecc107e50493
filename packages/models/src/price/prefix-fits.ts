import type { FittedForecaster, Forecaster, SeriesInput } from './forecasting/forecaster.ts';

/**
 * `forecaster` with its fits on prefixes of `series` shared: a fit on the first k points is made
 * once and reused. A training fits the same specifications on many prefixes of one series (auto's
 * selection folds, the folds of the nested backtest that measures auto itself, the holdout), and
 * fits are deterministic, so the fit on the first k points is the same whichever of them asks.
 * Anything that is not a prefix of `series` is fitted afresh.
 */
export function shareFitsOnPrefixes(series: readonly number[], forecaster: Forecaster): Forecaster {
  const fits = new Map<number, FittedForecaster>();
  return {
    method: forecaster.method,
    label: forecaster.label,
    minLength: forecaster.minLength,
    fit(values: SeriesInput): FittedForecaster {
      if (!isPrefix(values, series)) return forecaster.fit(values);
      let fitted = fits.get(values.length);
      if (!fitted) {
        fitted = forecaster.fit(values);
        fits.set(values.length, fitted);
      }
      return fitted;
    },
  };
}

function isPrefix(values: SeriesInput, series: readonly number[]): boolean {
  if (values.length > series.length) return false;
  for (let t = 0; t < values.length; t++) if (!Object.is(values[t], series[t])) return false;
  return true;
}
