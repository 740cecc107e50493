/**
 * Forecasting toolkit for price series, in plain TypeScript (no tfjs).
 *
 * Statistical price forecasters in plain TypeScript (no tfjs): naive, seasonal naive, drift, a
 * linear trend, exponential smoothing (simple, Holt, damped; chosen by AICc), Theta, the optimised
 * Theta model, and `auto`, which backtests them and keeps the best by MASE. Each is a
 * `Forecaster` (a specification: `fit(series)`) whose fitted model forecasts, exposes in-sample
 * one-step fitted values and residuals, and saves to a JSON-safe state (`restoreForecaster`).
 * Inputs are `number[]` or `Float64Array`, oldest first; outputs are `number[]`; all in double precision.
 */
export {
  FORECASTER_STATE_FORMAT,
  FORECASTER_STATE_VERSION,
  type AutoCandidateScore,
  type AutoSelection,
  type AutoState,
  type DriftState,
  type EtsFitSummary,
  type EtsParameters,
  type EtsState,
  type EtsVariant,
  type FittedForecaster,
  type ForecastMethod,
  type Forecaster,
  type ForecasterState,
  type LinearTrendState,
  type NaiveState,
  type OptimizedThetaState,
  type SeasonalAdjustment,
  type SeasonalNaiveState,
  type SeriesInput,
  type ThetaState,
} from './forecaster.ts';
export { naive, seasonalNaive } from './naive.ts';
export { drift } from './drift.ts';
export { fitTrendLine, linearTrend, type TrendLine } from './linear-trend.ts';
export { ets, ETS_BOUNDS, type EtsOptions } from './ets.ts';
export { theta, type ThetaOptions } from './theta.ts';
export { optimizedTheta, OPTIMIZED_THETA_BOUNDS, type OptimizedThetaOptions } from './optimized-theta.ts';
export { autoForecaster, defaultAutoCandidates, type AutoOptions } from './auto.ts';
export { restoreForecaster, ForecasterStateError } from './restore.ts';
export { autocorrelations, isSeasonal, seasonalIndices } from './seasonal-decomposition.ts';
export { minimizeNelderMead, type NelderMeadOptions, type NelderMeadResult } from './nelder-mead.ts';

// Evaluation of any Forecaster: rolling-origin folds, scores (MAE, RMSE, MAPE, MASE), backtests with
// per-fold and mean scores and errors by horizon step, split-conformal intervals and their coverage.
export { rollingOrigins, maxRollingOrigins, type RollingOriginFold, type RollingOriginOptions } from './rolling-origin.ts';
export { meanAbsoluteError, meanAbsolutePercentageError, meanAbsoluteScaledError, naiveScale, rootMeanSquaredError, scoreForecast, type ForecastScores } from './metrics.ts';
export { backtest, backtestAsync, type BacktestFold, type BacktestMeans, type BacktestOptions, type BacktestResult } from './backtest.ts';
export {
  applyConformal,
  calibrateConformal,
  DEFAULT_CALIBRATION,
  DEFAULT_QUANTILES,
  forecastWithIntervals,
  intervalCoverage,
  type ConformalCalibration,
  type ConformalOptions,
  type ConformalScale,
  type ForecastErrors,
  type ForecastIntervals,
  type ForecastWithIntervalsOptions,
} from './conformal.ts';
