import type { EvaluationMethod, ForecastIntervals, ForecastSkill, IntervalCalibrationSummary, PriceBacktestSummary, Unavailable } from '@mlq/specs';
import { backtestAsync, type BacktestResult } from './forecasting/backtest.ts';
import { applyConformal, calibrateConformal, DEFAULT_CALIBRATION, type ConformalCalibration, type ConformalScale } from './forecasting/conformal.ts';
import type { Forecaster } from './forecasting/forecaster.ts';
import { naive } from './forecasting/naive.ts';
import { maxRollingOrigins } from './forecasting/rolling-origin.ts';
import { MIN_LINEAR_POINTS } from './config.ts';

/** Conformal offsets per horizon step, and the evaluation they come from. */
export interface PriceCalibration extends ConformalCalibration {
  source: EvaluationMethod;
}

/**
 * How a price model did in its own evaluation (a backtest over its training series, or its
 * held-out tail) and what that lets it say about a forecast: its skill against naive and the
 * calibration of its intervals. What cannot be said is null, with the reason in `unavailable`.
 */
export interface PriceEvaluation {
  backtest: PriceBacktestSummary | null;
  skill: ForecastSkill | null;
  calibration: PriceCalibration | null;
  unavailable: Unavailable;
}

/** A calibration as clients see it: where it comes from and how far it reaches, without the offsets. */
export function describeCalibration(calibration: PriceCalibration): IntervalCalibrationSummary {
  return {
    method: 'split-conformal',
    source: calibration.source,
    scale: calibration.scale,
    quantiles: [...calibration.quantiles],
    horizon: calibration.offsets.length,
    errorsPerStep: Math.min(...calibration.sampleSizes),
  };
}

/** Where a training's backtest puts its origins: as many as fit up to 20, 3 points apart (the conformal defaults). */
export const EVALUATION_ORIGINS = DEFAULT_CALIBRATION;

/** An evaluation that could not run, for `reason`. */
export function unavailableEvaluation(reason: string): PriceEvaluation {
  return { backtest: null, skill: null, calibration: null, unavailable: { intervals: reason, skill: reason } };
}

/**
 * `relative` (errors as fractions of the forecast: prices move in proportion to their level, and
 * it covers 82% at 80% on the crypto bench against 76% for absolute) when every value is positive,
 * else `absolute`.
 */
export function conformalScaleFor(series: ArrayLike<number>): ConformalScale {
  for (let t = 0; t < series.length; t++) if (!(series[t]! > 0)) return 'absolute';
  return 'relative';
}

export interface EvaluateOptions {
  horizon: number;
  quantiles: readonly number[];
  scale: ConformalScale;
  /** `nested-backtest` when the specification makes a choice of its own in each fold (auto). */
  method: EvaluationMethod;
  signal?: AbortSignal;
}

/**
 * Backtests `forecaster` and naive on the same rolling origins over `series` (up to 20, 3 points
 * apart, the last test window ending at the series' end, each fit on the points before its origin
 * only) and turns the errors into a skill and an interval calibration. Returns to the event loop
 * between folds; rejects with `TrainingCancelledError` once `signal` aborts.
 */
export async function evaluateByBacktest(series: readonly number[], forecaster: Forecaster, options: EvaluateOptions): Promise<PriceEvaluation> {
  const { horizon } = options;
  // MASE's scale is the naive one-step error of the training part: two points at least.
  const minTrain = Math.max(MIN_LINEAR_POINTS, forecaster.minLength);
  const folds = Math.min(EVALUATION_ORIGINS.folds, maxRollingOrigins(series.length, { horizon, step: EVALUATION_ORIGINS.step, minTrain }));
  if (folds < 1) {
    return unavailableEvaluation(`a backtest of horizon ${horizon} needs ${minTrain + horizon} points (${minTrain} to fit on); the series has ${series.length}`);
  }
  const plan = { folds, horizon, step: EVALUATION_ORIGINS.step, minTrain, ...(options.signal ? { signal: options.signal } : {}) };
  const model = await backtestAsync(series, forecaster, plan);
  const baseline = await backtestAsync(series, naive(), plan);
  return evaluateErrors(model, baseline, options);
}

/**
 * The skill (mean MASE against naive's on the same folds) and the conformal calibration (each
 * step's quantiles of the model's errors) of a backtest. Intervals are given only where the
 * errors suffice for the finite-sample guarantee of the outermost quantiles (1/q − 1 errors for
 * a quantile q below 0.5): a band cut from fewer would be narrower than it claims.
 */
export function evaluateErrors(model: BacktestResult, baseline: BacktestResult, options: Pick<EvaluateOptions, 'quantiles' | 'scale' | 'method'>): PriceEvaluation {
  const folds = model.folds.length;
  const backtest: PriceBacktestSummary = { method: options.method, folds, horizon: model.horizon, step: model.step, model: model.mean, naive: baseline.mean };
  const unavailable: Unavailable = {};
  let skill: ForecastSkill | null = null;
  const { mase } = model.mean;
  const naiveMase = baseline.mean.mase;
  if (mase === null || naiveMase === null || !(naiveMase > 0)) {
    unavailable.skill = 'MASE is undefined on these folds: the training parts are constant';
  } else {
    skill = { method: options.method, mase, naiveMase, relativeToNaive: mase / naiveMase, beatsNaive: mase < naiveMase, folds, horizon: model.horizon, step: model.step };
  }
  let calibration: PriceCalibration | null = null;
  try {
    const conformal = calibrateConformal(model, { quantiles: options.quantiles, scale: options.scale });
    if (conformal.guaranteed.every(Boolean)) calibration = { ...conformal, source: options.method };
    else
      unavailable.intervals = `${folds} evaluation origin${folds === 1 ? '' : 's'}: too few errors per step for quantiles ${describeQuantiles(options.quantiles)} (${requiredErrors(options.quantiles)} needed)`;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    unavailable.intervals = `the evaluation errors cannot be calibrated: ${error.message}`;
  }
  return { backtest, skill, calibration, unavailable };
}

/** Errors per step the outermost quantile needs for split-conformal's guarantee: ⌈1/q⌉ − 1 for the q nearest 0 or 1. */
export function requiredErrors(quantiles: readonly number[]): number {
  const tail = Math.min(...quantiles.filter((q) => q !== 0.5).map((q) => Math.min(q, 1 - q)));
  // 1e-6 absorbs rounding: 1 − 0.9 is 0.09999999999999998.
  return Number.isFinite(tail) ? Math.ceil(1 / tail - 1e-6) - 1 : 1;
}

const describeQuantiles = (quantiles: readonly number[]) => (quantiles.length === 1 ? String(quantiles[0]) : `${quantiles[0]}–${quantiles[quantiles.length - 1]}`);

/**
 * A point forecast's quantiles under `calibration`, one `{ quantile, values }` per level, each
 * as long as the forecast; or why there are none: no calibration, a forecast longer than the
 * steps calibrated, or a non-positive forecast under relative errors.
 */
export function intervalsOf(
  forecast: readonly number[],
  calibration: PriceCalibration | null,
  whyNone: string | undefined,
): { intervals: ForecastIntervals; reason?: undefined } | { intervals: null; reason: string } {
  if (!calibration) return { intervals: null, reason: whyNone ?? 'the model has no interval calibration' };
  const steps = calibration.offsets.length;
  if (forecast.length > steps) {
    return {
      intervals: null,
      reason: `intervals are calibrated for ${steps} steps (the model's evaluation horizon); this forecast has ${forecast.length}: train with horizon ${forecast.length} for them`,
    };
  }
  if (calibration.scale === 'relative' && !forecast.every((value) => value > 0)) {
    return { intervals: null, reason: 'the intervals scale with the forecast (relative errors), and this forecast is not positive' };
  }
  const { quantiles, values } = applyConformal(forecast, calibration);
  return { intervals: quantiles.map((quantile, k) => ({ quantile, values: values[k]! })) };
}
