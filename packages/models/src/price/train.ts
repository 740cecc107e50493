import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { NotEnoughDataError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { splitTensorBatch } from '../parallel/objectives.ts';
import { usableTrainingThreads } from '../parallel/threads.ts';
import { checkHorizon, horizonBounds, MIN_LINEAR_POINTS, MIN_TRAINING_WINDOWS, validatePriceParams, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, createWindows, fitPriceScaler, splitHoldout, type PriceScaler } from './data.ts';
import { PRICE_MODEL_FORMAT, PRICE_MODEL_FORMAT_VERSION, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import { evaluateHoldout } from './metrics.ts';
import { buildPriceLstm } from './model.ts';
import { forecastRecursive, predictNextCloses } from './predict.ts';
import { PriceModel } from './price-model.ts';
import { createRandom } from '../samples/synthetic.ts';

/** What `onEpochEnd` receives after each epoch. */
export interface TrainProgress {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch: MSE on scaled values. */
  loss: number;
  /** MSE on the validation windows; null when `validationSplit` leaves none. */
  valLoss: number | null;
}

export interface TrainPriceModelOptions {
  /** `lstm`: the talk's network; `linear`: least squares on the time index (no tfjs). */
  kind: 'lstm' | 'linear';
  /** LSTM hyperparameters; omitted ones take `priceLstmDefaults`. Ignored for linear. */
  params?: Partial<PriceLstmParams>;
  /** Default forecast horizon stored with the model, 1–365 points. @defaultValue 10 */
  horizon?: number;
  /** Points held out at the end for metrics, 1–365; never fitted on. @defaultValue the horizon */
  holdout?: number;
  /** Checked after every batch; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Called (and awaited) after every epoch. */
  onEpochEnd?: (progress: TrainProgress) => void | Promise<void>;
  /**
   * Seeds the initial weights and each epoch's window order: with `dropout: 0` the same seed
   * trains the same model on one backend (see `buildPriceLstm` for what stays random).
   */
  seed?: number;
  /**
   * Threads that share each batch on the wasm and cpu backends: this one plus `threads − 1`
   * worker threads, each with its own backend and a replica of the network, gradients averaged
   * (see `DataParallelGradients`). Each gets at least 64 windows of a batch; tfjs-node uses one.
   * @defaultValue 1
   */
  threads?: number;
}

/** 0…count-1 in a Fisher–Yates order drawn from `random`. */
function shuffledIndices(count: number, random: () => number): Int32Array {
  const indices = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices;
}

/** Price shards below this many windows cost more in messaging than they save (measured: `npm run bench`, section recurrent). */
const MIN_WINDOWS_PER_THREAD = 64;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError(signal.reason);
}

function baseMetadata(closes: readonly number[], horizon: number, holdout: number) {
  return {
    format: PRICE_MODEL_FORMAT,
    formatVersion: PRICE_MODEL_FORMAT_VERSION,
    linear: fitLinear(closes),
    horizon,
    holdout,
    trainedPoints: closes.length - holdout,
    seriesLength: closes.length,
    backend: tf.getBackend(),
    tfjsVersion: tf.version_core,
    createdAt: new Date().toISOString(),
  } satisfies Partial<PriceModelMetadata>;
}

/**
 * Trains a price model on a series of closes (oldest first). The last `holdout` points are
 * never used for fitting the scaler or the weights: they give the metrics (see `PriceMetrics`).
 *
 * The LSTM trains on sliding windows `[count, window, 1]` → next close `[count, 1]`, batch by
 * batch, optionally across `threads`; the event loop runs between batches (a queue worker keeps
 * renewing its job lock). Rejects with `NotEnoughDataError`, `InvalidSeriesError`,
 * `ModelConfigError`, `TrainingCancelledError` (signal aborted) or `TrainingDivergedError`
 * (NaN loss), having disposed every tensor it made.
 */
export async function trainPriceModel(closes: readonly number[], options: TrainPriceModelOptions): Promise<PriceModel> {
  assertFiniteSeries(closes);
  const horizon = checkHorizon('horizon', options.horizon ?? horizonBounds.default);
  const holdout = checkHorizon('holdout', options.holdout ?? horizon);
  const n = closes.length;

  if (options.kind === 'linear') {
    const needed = holdout + MIN_LINEAR_POINTS;
    if (n < needed) throw new NotEnoughDataError(n, needed, `holdout ${holdout} + ${MIN_LINEAR_POINTS} training points`);
    throwIfAborted(options.signal);
    const trainLine = predictLinear(fitLinear(splitHoldout(closes, holdout).train), n - holdout, holdout);
    const metadata: PriceModelMetadata = {
      ...baseMetadata(closes, horizon, holdout),
      kind: 'linear',
      params: null,
      scaler: null,
      historyTail: [],
      metrics: evaluateHoldout(closes, holdout, trainLine, trainLine),
    };
    return new PriceModel(metadata, null);
  }
  if (options.kind !== 'lstm') throw new TypeError(`kind must be "lstm" or "linear", got ${String(options.kind)}`);

  const params = validatePriceParams(options.params);
  const { window } = params;
  const needed = window + holdout + MIN_TRAINING_WINDOWS;
  if (n < needed) throw new NotEnoughDataError(n, needed, `window ${window} + holdout ${holdout} + ${MIN_TRAINING_WINDOWS} training windows`);
  throwIfAborted(options.signal);

  const { train } = splitHoldout(closes, holdout);
  const scaler = fitPriceScaler(params.scaling, train);
  const resolved: PriceLstmParams = { ...params, scaling: scaler.kind };
  const model = await fitPriceLstm(train, scaler, resolved, options);
  try {
    const oneStep = predictNextCloses(
      model,
      scaler,
      Array.from({ length: holdout }, (_, i) => closes.slice(n - holdout + i - window, n - holdout + i)),
      window,
    );
    const multiStep = forecastRecursive(model, scaler, train, window, holdout);
    if (![...oneStep, ...multiStep].every(Number.isFinite)) throw new TrainingDivergedError('training diverged: holdout predictions are not finite');
    const metadata: PriceModelMetadata = {
      ...baseMetadata(closes, horizon, holdout),
      kind: 'lstm',
      params: resolved,
      scaler,
      historyTail: closes.slice(-window),
      metrics: evaluateHoldout(closes, holdout, oneStep, multiStep),
    };
    return new PriceModel(metadata, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * Builds and fits the LSTM on the training part. The most recent `validationSplit` of the
 * windows give the validation loss. Returns the fitted network (the caller owns it); on any
 * failure disposes the network, and always the window tensors and the optimizer.
 */
async function fitPriceLstm(train: readonly number[], scaler: PriceScaler, params: PriceLstmParams, options: TrainPriceModelOptions): Promise<tfl.LayersModel> {
  const { signal } = options;
  const windows = createWindows(train, params.window, scaler);
  const validationCount = Math.floor(windows.count * params.validationSplit);
  const fitCount = windows.count - validationCount;
  const [xs, xsVal] = tf.split(windows.xs, [fitCount, validationCount], 0) as [tf.Tensor3D, tf.Tensor3D];
  const [ys, ysVal] = tf.split(windows.ys, [fitCount, validationCount], 0) as [tf.Tensor2D, tf.Tensor2D];
  tf.dispose([windows.xs, windows.ys]);

  const { model, optimizer } = buildPriceLstm(params, options.seed);
  let divergedAt: string | undefined;
  const stopIfDiverged = (where: string, loss: number) => {
    if (divergedAt === undefined && !Number.isFinite(loss)) divergedAt = `${where}: loss ${String(loss)}`;
  };
  // Each epoch's order comes from a PRNG seeded with `seed` (tfjs' own shuffle uses Math.random),
  // so the same seed trains the same model.
  const random = createRandom(options.seed ?? Math.floor(Math.random() * 2 ** 32));
  let gradients: DataParallelGradients | undefined;
  try {
    const threads = usableTrainingThreads(options.threads ?? 1, Math.min(params.batchSize, fitCount), MIN_WINDOWS_PER_THREAD);
    gradients = await DataParallelGradients.start(model, threads, { kind: 'mean-squared-error' });
    for (let epoch = 0; epoch < params.epochs && !signal?.aborted && divergedAt === undefined; epoch++) {
      const order = tf.tensor1d(shuffledIndices(fitCount, random), 'int32');
      const [epochXs, epochYs] = [tf.gather(xs, order), tf.gather(ys, order)];
      order.dispose();
      let lossSum = 0;
      try {
        for (let start = 0, batch = 1; start < fitCount && !signal?.aborted && divergedAt === undefined; start += params.batchSize, batch++) {
          const size = Math.min(params.batchSize, fitCount - start);
          const [batchXs, batchYs] = [epochXs.slice(start, size), epochYs.slice(start, size)];
          try {
            const { loss, grads } = await gradients.compute(splitTensorBatch(batchXs, batchYs, threads));
            try {
              optimizer.applyGradients(grads);
            } finally {
              tf.dispose(Object.values(grads));
            }
            stopIfDiverged(`batch ${batch}`, loss);
            lossSum += loss * size;
          } finally {
            tf.dispose([batchXs, batchYs]);
          }
          // Hands the event loop back after every batch: BullMQ renews job locks from it.
          await new Promise((resolve) => setImmediate(resolve));
        }
      } finally {
        tf.dispose([epochXs, epochYs]);
      }
      if (signal?.aborted || divergedAt !== undefined) break;
      const loss = lossSum / fitCount;
      const valLoss = validationCount > 0 ? meanSquaredErrorOf(model, xsVal, ysVal, params.batchSize) : null;
      if (valLoss !== null) stopIfDiverged(`epoch ${epoch + 1} (validation)`, valLoss);
      if (divergedAt !== undefined) break;
      await options.onEpochEnd?.({ epoch: epoch + 1, epochs: params.epochs, loss, valLoss });
    }
    throwIfAborted(signal);
    if (divergedAt !== undefined) {
      throw new TrainingDivergedError(`training diverged at ${divergedAt}; try a lower learningRate (was ${params.learningRate})`);
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    await gradients?.close();
    tf.dispose([xs, ys, xsVal, ysVal]);
    optimizer.dispose();
  }
}

/** MSE of the model's predictions for `xs` against `ys`, in inference mode, `batchSize` rows at a time. */
function meanSquaredErrorOf(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, batchSize: number): number {
  return tf.tidy(() => tf.mean(tf.squaredDifference(ys, model.predict(xs, { batchSize }) as tf.Tensor)).dataSync()[0]!);
}
