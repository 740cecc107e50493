import * as tf from '@tensorflow/tfjs-core';
import { NotEnoughDataError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import { checkHorizon, horizonBounds, MIN_LINEAR_POINTS, MIN_TRAINING_WINDOWS, resolvePriceParams, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, createWindows, fitPriceScaler } from './data.ts';
import { fitLinear, predictLinear } from './linear.ts';
import { errorMetrics, type PriceMetrics } from './metrics.ts';
import { buildPriceLstm } from './model.ts';
import { predictNextCloses } from './predict.ts';
import { PRICE_MODEL_FORMAT, PriceModel, type PriceModelMetadata } from './price-model.ts';

export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Training MSE on scaled values. */
  loss: number;
  valLoss: number | null;
}

export interface TrainPriceModelOptions {
  kind: 'lstm' | 'linear';
  params?: Partial<PriceLstmParams>;
  /** Default forecast horizon stored with the model. Default 10. */
  horizon?: number;
  /** Points held out at the end for metrics. Default: horizon. */
  holdout?: number;
  /** Checked after every batch; aborting rejects with TrainingCancelledError. */
  signal?: AbortSignal;
  onEpochEnd?: (progress: TrainProgress) => void | Promise<void>;
  /** Seeds weight initialisation and dropout. */
  seed?: number;
}

/**
 * Metrics on the held-out tail, one step ahead: each holdout point is predicted from the actual
 * values before it (the model from its window, naive as the previous value, linear from the
 * line fitted to the training part).
 */
function holdoutMetrics(closes: readonly number[], holdout: number, modelPredictions: number[]): PriceMetrics {
  const n = closes.length;
  const actual = closes.slice(n - holdout);
  const trainLine = fitLinear(closes.slice(0, n - holdout));
  return {
    model: errorMetrics(actual, modelPredictions),
    naive: errorMetrics(actual, closes.slice(n - holdout - 1, n - 1)),
    linear: errorMetrics(actual, predictLinear(trainLine, n - holdout, holdout)),
    holdout,
    method: 'one-step-ahead',
  };
}

function baseMetadata(closes: readonly number[], horizon: number, holdout: number): Omit<PriceModelMetadata, 'kind' | 'params' | 'scaler' | 'historyTail' | 'metrics'> {
  return {
    format: PRICE_MODEL_FORMAT,
    formatVersion: 1,
    linear: fitLinear(closes),
    horizon,
    holdout,
    trainedPoints: closes.length - holdout,
    seriesLength: closes.length,
    backend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    createdAt: new Date().toISOString(),
  };
}

/**
 * Trains a price model on a series of closes (oldest first). The last `holdout` points are
 * never used for fitting: they give the metrics. The LSTM yields to the event loop after every
 * batch, so a queue worker's lock renewal keeps running during long trainings.
 */
export async function trainPriceModel(closes: readonly number[], options: TrainPriceModelOptions): Promise<PriceModel> {
  assertFiniteSeries(closes);
  const horizon = checkHorizon('horizon', options.horizon ?? horizonBounds.default);
  const holdout = checkHorizon('holdout', options.holdout ?? horizon);
  const n = closes.length;

  if (options.kind === 'linear') {
    const needed = holdout + MIN_LINEAR_POINTS;
    if (n < needed) throw new NotEnoughDataError(n, needed, `holdout ${holdout} + ${MIN_LINEAR_POINTS} training points`);
    if (options.signal?.aborted) throw new TrainingCancelledError(options.signal.reason);
    const trainLine = fitLinear(closes.slice(0, n - holdout));
    return new PriceModel(
      {
        ...baseMetadata(closes, horizon, holdout),
        kind: 'linear',
        params: null,
        scaler: null,
        historyTail: [],
        metrics: holdoutMetrics(closes, holdout, predictLinear(trainLine, n - holdout, holdout)),
      },
      null,
    );
  }

  const params = resolvePriceParams(options.params);
  const { window } = params;
  const needed = window + holdout + MIN_TRAINING_WINDOWS;
  if (n < needed) throw new NotEnoughDataError(n, needed, `window ${window} + holdout ${holdout} + ${MIN_TRAINING_WINDOWS} training windows`);

  const trainPart = closes.slice(0, n - holdout);
  const scaler = fitPriceScaler(params.scaling, trainPart);
  const windows = createWindows(trainPart, window, scaler);
  const validationCount = Math.floor(windows.count * params.validationSplit);
  const fitCount = windows.count - validationCount;
  const [xs, xsVal] = tf.split(windows.xs, [fitCount, validationCount], 0) as [tf.Tensor3D, tf.Tensor3D];
  const [ys, ysVal] = tf.split(windows.ys, [fitCount, validationCount], 0) as [tf.Tensor2D, tf.Tensor2D];
  tf.dispose([windows.xs, windows.ys]);

  const { model, optimizer } = buildPriceLstm(params, options.seed);
  let diverged = false;
  try {
    await model.fit(xs, ys, {
      epochs: params.epochs,
      batchSize: params.batchSize,
      shuffle: true,
      verbose: 0,
      yieldEvery: 'batch',
      ...(validationCount > 0 ? { validationData: [xsVal, ysVal] as [tf.Tensor, tf.Tensor] } : {}),
      callbacks: {
        onBatchEnd: async () => {
          if (options.signal?.aborted) model.stopTraining = true;
        },
        onEpochEnd: async (epoch, logs) => {
          const loss = Number(logs?.loss);
          if (!Number.isFinite(loss)) {
            diverged = true;
            model.stopTraining = true;
            return;
          }
          const valLoss = logs?.val_loss === undefined ? null : Number(logs.val_loss);
          if (!options.signal?.aborted) await options.onEpochEnd?.({ epoch: epoch + 1, epochs: params.epochs, loss, valLoss });
        },
      },
    });
    if (options.signal?.aborted) throw new TrainingCancelledError(options.signal.reason);
    if (diverged) throw new TrainingDivergedError('training diverged: the loss became NaN; lower learningRate');

    const holdoutWindows = Array.from({ length: holdout }, (_, i) => closes.slice(n - holdout + i - window, n - holdout + i));
    const predictions = predictNextCloses(model, scaler, holdoutWindows, window);
    if (!predictions.every(Number.isFinite)) throw new TrainingDivergedError('training diverged: predictions are not finite');

    return new PriceModel(
      {
        ...baseMetadata(closes, horizon, holdout),
        kind: 'lstm',
        params: { ...params, scaling: scaler.kind },
        scaler,
        historyTail: closes.slice(-window),
        metrics: holdoutMetrics(closes, holdout, predictions),
      },
      model,
    );
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose([xs, ys, xsVal, ysVal]);
    optimizer.dispose();
  }
}
