import { EventLoopYielder } from '../../event-loop.ts';
import type { Forecaster, SeriesInput } from './forecaster.ts';
import { scoreForecast, type ForecastScores } from './metrics.ts';
import { rollingOrigins, type RollingOriginFold, type RollingOriginOptions } from './rolling-origin.ts';

export interface BacktestOptions extends RollingOriginOptions {
  /**
   * Season length for MASE's scale: the in-sample seasonal naive MAE when given, the naive
   * (m = 1) MAE otherwise. It does not configure the forecaster.
   * @defaultValue 1
   */
  seasonalPeriod?: number;
  /** Called after each fold, earliest first: progress for a job. */
  onFold?: (fold: BacktestFold, completed: number, total: number) => void;
}

/** One origin's forecast and how it scored. */
export interface BacktestFold extends RollingOriginFold {
  /** The fitted model's label, e.g. `ets(damped)`: what the specification settled on in this fold. */
  model: string;
  forecast: number[];
  actual: number[];
  /** actual − forecast, per step. */
  errors: number[];
  scores: ForecastScores;
}

/** Means of the fold scores; `mape`/`mase` over the folds that define them, null when none does. */
export type BacktestMeans = ForecastScores;

export interface BacktestResult {
  /** The specification's label, e.g. `ets(auto)`. */
  forecaster: string;
  horizon: number;
  step: number;
  folds: BacktestFold[];
  mean: BacktestMeans;
  /**
   * Errors (actual − forecast) by horizon step: entry j holds step j + 1 of every fold, earliest
   * fold first. What conformal intervals are calibrated from.
   */
  residualsByStep: number[][];
  /** The forecasts those errors are errors of, laid out the same way. */
  forecastsByStep: number[][];
}

/**
 * Rolling-origin evaluation: for each fold, fits a fresh model on the points before the origin
 * only, forecasts `horizon` points and scores them against the series. The forecaster is any
 * {@link Forecaster}; nothing after an origin reaches its fit, so values there may even be
 * missing (NaN) without changing a forecast, only the scores.
 * @throws RangeError when the series is too short for the folds (see `rollingOrigins`)
 */
export function backtest(series: SeriesInput, forecaster: Forecaster, options: BacktestOptions): BacktestResult {
  const folds = planFolds(series, forecaster, options);
  const results: BacktestFold[] = [];
  for (const fold of folds) {
    results.push(runFold(series, forecaster, fold, options.seasonalPeriod));
    options.onFold?.(results[results.length - 1]!, results.length, folds.length);
  }
  return summarize(forecaster, options, results);
}

/**
 * {@link backtest} that returns to the event loop between folds once 25 ms of work have passed
 * (a queue worker keeps renewing its lock) and stops at the next fold once `signal` aborts.
 * @throws TrainingCancelledError when `signal` aborts
 */
export async function backtestAsync(series: SeriesInput, forecaster: Forecaster, options: BacktestOptions & { signal?: AbortSignal }): Promise<BacktestResult> {
  const folds = planFolds(series, forecaster, options);
  const yielder = new EventLoopYielder(options.signal);
  const results: BacktestFold[] = [];
  for (const fold of folds) {
    await yielder.maybeYield();
    results.push(runFold(series, forecaster, fold, options.seasonalPeriod));
    options.onFold?.(results[results.length - 1]!, results.length, folds.length);
  }
  return summarize(forecaster, options, results);
}

function planFolds(series: SeriesInput, forecaster: Forecaster, options: BacktestOptions): RollingOriginFold[] {
  return rollingOrigins(series.length, { ...options, minTrain: Math.max(options.minTrain ?? 1, forecaster.minLength) });
}

function runFold(series: SeriesInput, forecaster: Forecaster, fold: RollingOriginFold, seasonalPeriod = 1): BacktestFold {
  const train = Array.prototype.slice.call(series, 0, fold.trainEnd) as number[];
  const actual = Array.prototype.slice.call(series, fold.testStart, fold.testEnd) as number[];
  const model = forecaster.fit(train);
  const forecast = model.forecast(actual.length);
  return {
    ...fold,
    model: model.label,
    forecast,
    actual,
    errors: actual.map((value, j) => value - forecast[j]!),
    scores: scoreForecast(actual, forecast, train, seasonalPeriod),
  };
}

function summarize(forecaster: Forecaster, options: BacktestOptions, folds: BacktestFold[]): BacktestResult {
  const mean = (pick: (scores: ForecastScores) => number | null): number | null => {
    const defined = folds.map((fold) => pick(fold.scores)).filter((value): value is number => value !== null);
    return defined.length === 0 ? null : defined.reduce((a, b) => a + b, 0) / defined.length;
  };
  return {
    forecaster: forecaster.label,
    horizon: options.horizon,
    step: options.step ?? options.horizon,
    folds,
    mean: { mae: mean((s) => s.mae)!, rmse: mean((s) => s.rmse)!, mape: mean((s) => s.mape), mase: mean((s) => s.mase) },
    residualsByStep: Array.from({ length: options.horizon }, (_, j) => folds.map((fold) => fold.errors[j]!)),
    forecastsByStep: Array.from({ length: options.horizon }, (_, j) => folds.map((fold) => fold.forecast[j]!)),
  };
}
