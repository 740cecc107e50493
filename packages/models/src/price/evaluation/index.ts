/**
 * Forecast evaluation for any `Forecaster` of `../statistical`: rolling-origin fold boundaries,
 * scores (MAE, RMSE, MAPE, MASE), backtests with per-fold and mean scores and errors by horizon
 * step, and split-conformal prediction intervals calibrated on those errors, with their coverage.
 */
export { rollingOrigins, maxRollingOrigins, type RollingOriginFold, type RollingOriginOptions } from './rolling-origin.ts';
export {
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanAbsoluteScaledError,
  naiveScale,
  rootMeanSquaredError,
  scoreForecast,
  type ForecastScores,
} from './metrics.ts';
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
