import { ModelConfigError } from '../../errors.ts';
import { readSeries, stateBase, wrapFitted, type FittedForecaster, type Forecaster, type NaiveState, type SeasonalNaiveState, type SeriesInput } from './forecaster.ts';

/** Naive (random walk): every forecast is the last observation. Fits on one point. */
export function naive(): Forecaster {
  return {
    method: 'naive',
    label: 'naive',
    minLength: 1,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, 1, 'naive');
      const fitted = Array.from(values, (_, t) => (t === 0 ? Number.NaN : values[t - 1]!));
      return restoreNaive({ ...stateBase('naive', values, fitted), method: 'naive', last: values[values.length - 1]! });
    },
  };
}

export function restoreNaive(state: NaiveState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => new Array<number>(horizon).fill(s.last));
}

/**
 * Seasonal naive: the forecast of a point is the observation one `period` earlier (the last
 * season repeated). Fits on `period` points.
 * @param period season length in points, e.g. 7 for daily data with a weekly cycle
 */
export function seasonalNaive(period: number): Forecaster {
  if (!Number.isInteger(period) || period < 1) throw new ModelConfigError('period', `must be a positive integer, got ${period}`);
  const label = `seasonalNaive(${period})`;
  return {
    method: 'seasonalNaive',
    label,
    minLength: period,
    fit(series: SeriesInput): FittedForecaster {
      const values = readSeries(series, period, label);
      const fitted = Array.from(values, (_, t) => (t < period ? Number.NaN : values[t - period]!));
      return restoreSeasonalNaive({
        ...stateBase(label, values, fitted),
        method: 'seasonalNaive',
        period,
        lastSeason: Array.from(values.subarray(values.length - period)),
      });
    },
  };
}

export function restoreSeasonalNaive(state: SeasonalNaiveState): FittedForecaster {
  return wrapFitted(state, (s, horizon) => Array.from({ length: horizon }, (_, j) => s.lastSeason[j % s.period]!));
}
