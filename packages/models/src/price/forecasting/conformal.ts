import { checkHorizon, type Forecaster, type SeriesInput } from './forecaster.ts';
import { backtest } from './backtest.ts';
import { maxRollingOrigins } from './rolling-origin.ts';

/** The quantiles a forecast comes with unless asked otherwise: an 80% band and the median. */
export const DEFAULT_QUANTILES: readonly number[] = Object.freeze([0.1, 0.5, 0.9]);

/**
 * How errors are made comparable before their quantiles are taken: `absolute` uses them as they
 * are (actual − forecast, in the series' unit); `relative` divides each by its forecast's size
 * |forecast| and the offsets scale with the new forecast, so errors made when prices were 10×
 * lower count 10× larger: the assumption of a multiplicative error, natural for prices.
 */
export type ConformalScale = 'absolute' | 'relative';

/** Past forecasts' errors by horizon step: a `BacktestResult` or an `auto` model's `selection`. */
export interface ForecastErrors {
  /** residualsByStep[j]: errors (actual − forecast) of step j + 1, one per past origin. */
  residualsByStep: readonly (readonly number[])[];
  /** The forecasts those errors are errors of, laid out the same way; needed for `relative`. */
  forecastsByStep?: readonly (readonly number[])[];
}

export interface ConformalOptions {
  /** Quantile levels in (0, 1). @defaultValue {@link DEFAULT_QUANTILES} */
  quantiles?: readonly number[];
  /** @defaultValue 'absolute' */
  scale?: ConformalScale;
}

/** Offsets to add to a point forecast, per horizon step and quantile, from past errors. */
export interface ConformalCalibration {
  /** Quantile levels, ascending, each in (0, 1). */
  quantiles: number[];
  scale: ConformalScale;
  /** offsets[j][k]: quantile k of the step-(j + 1) errors (as fractions of |forecast| when `relative`). */
  offsets: number[][];
  /** Errors behind each step's offsets. */
  sampleSizes: number[];
  /**
   * Per step: false when there were too few errors for the outermost quantiles' finite-sample
   * guarantee (fewer than 1/q − 1 for a lower quantile q, 1/(1 − q) − 1 for an upper one), and
   * the band was capped at the most extreme error seen, so it may cover less than nominal.
   */
  guaranteed: boolean[];
}

/** A point forecast with its quantiles. */
export interface ForecastIntervals {
  forecast: number[];
  quantiles: number[];
  /** values[k][j]: quantile k of step j + 1. */
  values: number[][];
  /** The lowest quantile's values: the band's lower edge. */
  lower: number[];
  /** The highest quantile's values: the band's upper edge. */
  upper: number[];
}

/**
 * Split-conformal offsets: the finite-sample-corrected empirical quantiles of the errors of each
 * horizon step. With n exchangeable errors, a lower quantile q uses the ⌊(n + 1)q⌋-th smallest
 * error and an upper one the ⌈(n + 1)q⌉-th, so that a new error falls below the lower offset with
 * probability at most q and above the upper one with probability at most 1 − q; q = 0.5 is the
 * median. The errors are signed, so a biased forecaster gets an asymmetric band (and the median
 * corrects its bias). Calibrate on errors of forecasts made before the one the band is for (a
 * backtest over the training part): that is what keeps it honest.
 * @throws RangeError for an empty step, a non-finite error, a zero forecast under `relative`, or a level outside (0, 1)
 */
export function calibrateConformal(errors: ForecastErrors, options: ConformalOptions = {}): ConformalCalibration {
  const { quantiles = DEFAULT_QUANTILES, scale = 'absolute' } = options;
  if (quantiles.length === 0 || quantiles.some((q) => !(q > 0 && q < 1))) throw new RangeError(`quantiles must lie in (0, 1), got ${quantiles.join(', ')}`);
  const levels = [...new Set(quantiles)].sort((a, b) => a - b);
  const { residualsByStep, forecastsByStep } = errors;
  if (residualsByStep.length === 0) throw new RangeError('conformal calibration needs errors for at least one horizon step');
  const offsets: number[][] = [];
  const sampleSizes: number[] = [];
  const guaranteed: boolean[] = [];
  residualsByStep.forEach((stepErrors, j) => {
    const scores = scale === 'absolute' ? [...stepErrors] : stepErrors.map((e, i) => e / sizeOf(forecastsByStep?.[j]?.[i]));
    if (scores.length === 0 || scores.some((e) => !Number.isFinite(e))) throw new RangeError(`step ${j + 1} needs finite errors (got ${scores.length}, some not finite or none)`);
    const sorted = scores.sort((a, b) => a - b);
    const n = sorted.length;
    let exact = true;
    offsets.push(
      levels.map((q) => {
        if (q === 0.5) return median(sorted);
        const rank = q < 0.5 ? Math.floor((n + 1) * q) : Math.ceil((n + 1) * q);
        const capped = Math.min(n, Math.max(1, rank));
        if (capped !== rank) exact = false;
        return sorted[capped - 1]!;
      }),
    );
    sampleSizes.push(n);
    guaranteed.push(exact);
  });
  return { quantiles: levels, scale, offsets, sampleSizes, guaranteed };
}

/** |forecast|, the unit of a relative error; refuses what cannot be one. */
function sizeOf(forecast: number | undefined): number {
  if (forecast === undefined) throw new RangeError('relative scaling needs the forecasts (forecastsByStep) beside the errors');
  if (!(Math.abs(forecast) > 0) || !Number.isFinite(forecast)) throw new RangeError(`relative scaling needs non-zero, finite forecasts (got ${forecast})`);
  return Math.abs(forecast);
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The point forecast plus each quantile's offset, step by step (times |forecast| when `relative`).
 * @throws RangeError when the forecast is longer than the calibrated horizon, or a forecast is 0 under `relative`
 */
export function applyConformal(forecast: readonly number[], calibration: ConformalCalibration): ForecastIntervals {
  if (forecast.length > calibration.offsets.length) {
    throw new RangeError(`the calibration covers ${calibration.offsets.length} steps; the forecast has ${forecast.length}`);
  }
  const unit = forecast.map((point) => (calibration.scale === 'relative' ? sizeOf(point) : 1));
  const values = calibration.quantiles.map((_, k) => forecast.map((point, j) => point + calibration.offsets[j]![k]! * unit[j]!));
  return { forecast: [...forecast], quantiles: [...calibration.quantiles], values, lower: values[0]!, upper: values[values.length - 1]! };
}

/**
 * Share of actuals inside [lower, upper] (edges included); the coverage of an interval forecast.
 * @throws RangeError for arrays of different or zero length
 */
export function intervalCoverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  if (actual.length === 0 || actual.length !== lower.length || actual.length !== upper.length) {
    throw new RangeError(`coverage needs equal, non-empty arrays (got ${actual.length}, ${lower.length}, ${upper.length})`);
  }
  let inside = 0;
  for (let j = 0; j < actual.length; j++) if (actual[j]! >= lower[j]! && actual[j]! <= upper[j]!) inside++;
  return inside / actual.length;
}

/** Where the calibration errors of {@link forecastWithIntervals} come from, unless told otherwise. */
export const DEFAULT_CALIBRATION = Object.freeze({ folds: 20, step: 3 });

export interface ForecastWithIntervalsOptions extends ConformalOptions {
  horizon: number;
  /**
   * Backtest folds the errors come from, the last ending at the series' end; fewer when the
   * series is short (at least one). @defaultValue 20
   */
  calibrationFolds?: number;
  /**
   * Points between calibration origins. Origins one point apart give errors that share most of
   * their window; a few points apart, more of the recent past for the same work. @defaultValue 3
   */
  calibrationStep?: number;
}

/**
 * Fits `forecaster` on the whole series and forecasts `horizon` points with conformal quantiles
 * calibrated on a rolling-origin backtest of the same specification over the same series (so on
 * nothing after its end).
 * @throws RangeError when the series cannot hold one calibration fold
 */
export function forecastWithIntervals(
  series: SeriesInput,
  forecaster: Forecaster,
  options: ForecastWithIntervalsOptions,
): ForecastIntervals & { model: string; calibration: ConformalCalibration } {
  const { horizon, calibrationFolds = DEFAULT_CALIBRATION.folds, calibrationStep = DEFAULT_CALIBRATION.step } = options;
  checkHorizon(horizon);
  const possible = maxRollingOrigins(series.length, { horizon, step: calibrationStep, minTrain: forecaster.minLength });
  const folds = Math.min(calibrationFolds, possible);
  if (folds < 1) throw new RangeError(`calibrating ${forecaster.label} for horizon ${horizon} needs ${forecaster.minLength + horizon} points; the series has ${series.length}`);
  const calibration = calibrateConformal(backtest(series, forecaster, { folds, horizon, step: calibrationStep }), options);
  const model = forecaster.fit(series);
  return { ...applyConformal(model.forecast(horizon), calibration), model: model.label, calibration };
}
