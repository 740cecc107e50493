import * as tf from '@tensorflow/tfjs-core';
import { requiredSeriesLength, resolvePriceParams, type PriceParams, type StatisticalPriceArchitecture } from '@mlq/specs';
import { NotEnoughDataError } from '../errors.ts';
import { EventLoopYielder } from '../event-loop.ts';
import { checkHorizon, horizonBounds } from './config.ts';
import { assertFiniteSeries } from './data.ts';
import { conformalScaleFor, evaluateByBacktest } from './evaluation.ts';
import type { FittedForecaster, Forecaster } from './forecasting/forecaster.ts';
import { PRICE_MODEL_FORMAT, PRICE_MODEL_FORMAT_VERSION, type PriceModelMetadata } from './io.ts';
import { fitLinear } from './linear.ts';
import { evaluateHoldout, type PriceMetrics } from './metrics.ts';
import { shareFitsOnPrefixes } from './prefix-fits.ts';
import { PriceModel } from './price-model.ts';
import { refitSpecification, statisticalForecaster, type ShareFits } from './statistical-forecasters.ts';

export interface TrainStatisticalOptions {
  architecture: StatisticalPriceArchitecture;
  /** `period` and `quantiles` (see the family's spec); other fields are refused. */
  params?: PriceParams | undefined;
  /** The horizon the model is evaluated (and auto chooses) for, 1–365. @defaultValue 10 */
  horizon?: number | undefined;
  /** Points held out at the end for `metrics`. @defaultValue the horizon */
  holdout?: number | undefined;
  /** Checked between backtest folds; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal | undefined;
}

/**
 * Trains a statistical price model on closes (oldest first): backtests the specification (auto:
 * its whole choice, fold by fold) for its skill and interval calibration, fits it on the whole
 * series, and scores a fit on the series less its holdout on the holdout, like the LSTM's metrics.
 * No tfjs; returns to the event loop between folds. Rejects with `NotEnoughDataError`,
 * `InvalidSeriesError`, `ModelConfigError` or `TrainingCancelledError`.
 */
export async function trainStatisticalPriceModel(closes: readonly number[], options: TrainStatisticalOptions): Promise<PriceModel> {
  assertFiniteSeries(closes);
  const { architecture, signal } = options;
  const horizon = checkHorizon('horizon', options.horizon ?? horizonBounds.default);
  const holdout = checkHorizon('holdout', options.holdout ?? horizon);
  const settings = resolvePriceParams(architecture, options.params);
  const n = closes.length;
  const needed = requiredSeriesLength(architecture, settings, holdout);
  if (n < needed) throw new NotEnoughDataError(n, needed, `holdout ${holdout} + ${needed - holdout} training points`);

  const series = Array.from(closes);
  const share: ShareFits = (forecaster) => shareFitsOnPrefixes(series, forecaster);
  const specification = statisticalForecaster(architecture, settings, horizon, share);
  const evaluation = await evaluateByBacktest(series, specification, {
    horizon,
    quantiles: settings.quantiles,
    scale: conformalScaleFor(series),
    method: architecture === 'auto' ? 'nested-backtest' : 'backtest',
    ...(signal ? { signal } : {}),
  });
  const yielder = new EventLoopYielder(signal);
  await yielder.maybeYield();
  const fitted = specification.fit(series);
  const metrics = await scoreHoldout(series, holdout, specification, (trained) => refitSpecification(architecture, settings, trained, horizon, share), yielder);
  const metadata: PriceModelMetadata = {
    format: PRICE_MODEL_FORMAT,
    formatVersion: PRICE_MODEL_FORMAT_VERSION,
    kind: architecture,
    params: null,
    scaler: null,
    statistical: { period: settings.period ?? null, forecaster: fitted.toState() },
    quantiles: settings.quantiles,
    evaluation,
    linear: fitLinear(series),
    horizon,
    holdout,
    trainedPoints: n,
    seriesLength: n,
    historyTail: [],
    metrics,
    backend: 'none (no tfjs)',
    tfjsVersion: tf.version_core,
    createdAt: new Date().toISOString(),
  };
  return new PriceModel(metadata, null);
}

/**
 * The holdout metrics (`PriceMetrics`) of a statistical specification: fitted on the series less
 * its holdout, a multi-step forecast of the holdout; and one-step forecasts of each holdout point
 * from a refit on every point before it (auto keeps the choice it made before the holdout).
 */
async function scoreHoldout(
  series: readonly number[],
  holdout: number,
  specification: Forecaster,
  refitAs: (trained: FittedForecaster) => Forecaster,
  yielder: EventLoopYielder,
): Promise<PriceMetrics> {
  const origin = series.length - holdout;
  const trained = specification.fit(series.slice(0, origin));
  const multiStep = trained.forecast(holdout);
  const refit = refitAs(trained);
  const oneStep: number[] = [];
  for (let t = origin; t < series.length; t++) {
    await yielder.maybeYield();
    oneStep.push(refit.fit(series.slice(0, t)).forecast(1)[0]!);
  }
  return evaluateHoldout(series, holdout, oneStep, multiStep);
}
