/** Where the rolling origins of a backtest sit. */
export interface RollingOriginOptions {
  /** Number of forecast origins (folds). */
  folds: number;
  /** Points forecast from each origin. */
  horizon: number;
  /** Points between consecutive origins. @defaultValue horizon (test windows tile the tail) */
  step?: number;
  /** Fewest training points the first fold may have. @defaultValue 1 */
  minTrain?: number;
}

/** One fold: train on [0, trainEnd), forecast and score [testStart, testEnd). */
export interface RollingOriginFold {
  /** 0 for the earliest origin. */
  index: number;
  /** Exclusive end of the training part: its length. */
  trainEnd: number;
  /** First forecast point (= trainEnd: the forecast starts right after the training part). */
  testStart: number;
  /** Exclusive end of the test window (testStart + horizon). */
  testEnd: number;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

/**
 * How many folds a series of `length` points can hold: origins `step` apart, the last test window
 * ending at the series' end, the first training part at least `minTrain` long.
 */
export function maxRollingOrigins(length: number, { horizon, step = horizon, minTrain = 1 }: Omit<RollingOriginOptions, 'folds'>): number {
  checkPositiveInteger('horizon', horizon);
  checkPositiveInteger('step', step);
  checkPositiveInteger('minTrain', minTrain);
  const lastOrigin = length - horizon;
  return lastOrigin < minTrain ? 0 : Math.floor((lastOrigin - minTrain) / step) + 1;
}

/**
 * Fold boundaries of a rolling-origin (time series cross-validation) backtest over a series of
 * `length` points, earliest first, latest last; the last test window ends at the series' end.
 * Every fold trains only on points before its test window: nothing after an origin is seen.
 * @throws RangeError when the series cannot hold `folds` folds with `minTrain` training points
 */
export function rollingOrigins(length: number, options: RollingOriginOptions): RollingOriginFold[] {
  const { folds, horizon, step = horizon, minTrain = 1 } = options;
  checkPositiveInteger('folds', folds);
  const fit = maxRollingOrigins(length, { horizon, step, minTrain });
  if (fit < folds) {
    const needed = minTrain + horizon + (folds - 1) * step;
    throw new RangeError(`${folds} folds of horizon ${horizon}, step ${step} and at least ${minTrain} training points need ${needed} points; the series has ${length}`);
  }
  return Array.from({ length: folds }, (_, index) => {
    const trainEnd = length - horizon - (folds - 1 - index) * step;
    return { index, trainEnd, testStart: trainEnd, testEnd: trainEnd + horizon };
  });
}
