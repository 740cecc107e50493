import {
  applyConformal,
  backtest,
  calibrateConformal,
  DEFAULT_CALIBRATION,
  drift,
  intervalCoverage,
  maxRollingOrigins,
  naive,
  scoreForecast,
  seasonalNaive,
  trainPriceModel,
  type CheckpointHook,
  type ArtifactIO,
  type Forecaster,
  type TrainProgress,
} from '@mlq/models';
import { BACKTEST_QUANTILES, type BacktestFoldPayload, type BacktestFoldResult, type MethodFold } from '@mlq/jobs';

/** How a fold's training runs: the job's signal, progress and checkpoints. */
export interface FoldTrainingOptions {
  signal?: AbortSignal;
  onEpochEnd?: (progress: TrainProgress) => void | Promise<void>;
  checkpoint?: CheckpointHook;
  resumeFrom?: ArtifactIO;
}

/**
 * Trains the specification on `train` as a training job would (same architecture, params, holdout
 * and seed) and forecasts `horizon` points from its end. The one place a backtest fold meets the
 * price family's training: an architecture the family adds is backtested through it.
 */
async function forecastWithSpecification(train: readonly number[], spec: BacktestFoldPayload, options: FoldTrainingOptions): Promise<{ label: string; forecast: number[] }> {
  const model = await trainPriceModel(train, {
    kind: spec.architecture,
    horizon: spec.horizon,
    ...(spec.params ? { params: spec.params } : {}),
    ...(spec.holdout !== undefined ? { holdout: spec.holdout } : {}),
    ...(spec.seed !== undefined ? { seed: spec.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEpochEnd ? { onEpochEnd: options.onEpochEnd } : {}),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
    ...(options.resumeFrom ? { resumeFrom: options.resumeFrom } : {}),
  });
  try {
    return { label: spec.architecture, forecast: await model.forecast(spec.horizon, undefined, options.signal ? { signal: options.signal } : {}) };
  } finally {
    model.dispose();
  }
}

/**
 * A baseline's forecast from `train` with split-conformal 10/50/90% quantiles calibrated on a
 * backtest of the same baseline over `train` only (errors relative to the forecast for positive
 * prices, absolute otherwise), scored on `actual`. Null when `train` is shorter than the baseline
 * needs; without intervals when it cannot hold one calibration fold.
 */
export function forecastBaseline(forecaster: Forecaster, train: readonly number[], actual: readonly number[]): MethodFold | null {
  if (train.length < forecaster.minLength) return null;
  const horizon = actual.length;
  const forecast = forecaster.fit(train).forecast(horizon);
  const scores = scoreForecast(actual, forecast, train);
  const folds = Math.min(DEFAULT_CALIBRATION.folds, maxRollingOrigins(train.length, { horizon, step: DEFAULT_CALIBRATION.step, minTrain: forecaster.minLength }));
  if (folds < 1) return { label: forecaster.label, forecast, scores, intervals: null };
  const scale = train.every((value) => value > 0) && forecast.every((value) => value !== 0) ? 'relative' : 'absolute';
  const calibration = calibrateConformal(backtest(train, forecaster, { folds, horizon, step: DEFAULT_CALIBRATION.step }), { quantiles: BACKTEST_QUANTILES, scale });
  const { lower, upper, quantiles } = applyConformal(forecast, calibration);
  return { label: forecaster.label, forecast, scores, intervals: { quantiles, lower, upper, coverage: intervalCoverage(actual, lower, upper) } };
}

/**
 * One fold of a rolling-origin backtest: the model and the baselines see the points before the
 * fold's origin only (`closes[0, trainEnd)`) and are scored on the `horizon` points after it.
 * Nothing after the origin reaches a fit: changing those points changes the scores, never a forecast.
 * @throws RangeError when the series no longer holds the fold's test window
 */
export async function runBacktestFold(closes: readonly number[], dates: readonly string[], spec: BacktestFoldPayload, options: FoldTrainingOptions = {}): Promise<BacktestFoldResult> {
  const startedAt = Date.now();
  const { index, trainEnd, testEnd } = spec.fold;
  if (testEnd > closes.length || testEnd - trainEnd !== spec.horizon || trainEnd < 1) {
    throw new RangeError(`fold ${index} (${trainEnd}–${testEnd}) does not fit the series of ${closes.length} points with horizon ${spec.horizon}`);
  }
  const train = closes.slice(0, trainEnd);
  const actual = closes.slice(trainEnd, testEnd);
  const { label, forecast } = await forecastWithSpecification(train, spec, options);
  return {
    index,
    trainEnd,
    testEnd,
    origin: dates[trainEnd - 1] ?? null,
    dates: dates.slice(trainEnd, testEnd),
    actual,
    model: { label, forecast, scores: scoreForecast(actual, forecast, train), intervals: null },
    baselines: {
      naive: forecastBaseline(naive(), train, actual)!,
      seasonalNaive: forecastBaseline(seasonalNaive(spec.seasonalPeriod), train, actual),
      drift: forecastBaseline(drift(), train, actual),
    },
    durationMs: Date.now() - startedAt,
  };
}
