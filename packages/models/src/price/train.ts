import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelConfigError, ModelError, NotEnoughDataError, TrainingCancelledError, TrainingDivergedError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import { EventLoopYielder } from '../event-loop.ts';
import { createCheckpointer, type CheckpointHook, type TrainingCheckpoint } from '../checkpoint/hook.ts';
import { fingerprintNumbers, sameFingerprint } from '../checkpoint/files.ts';
import { readTfjsOptimizer, restoreTfjsOptimizer } from '../checkpoint/tfjs-optimizer.ts';
import { deriveSeed, RandomStream, shuffledIndices } from '../random.ts';
import { DataParallelGradients } from '../parallel/data-parallel.ts';
import { meanSquaredErrorObjective, splitTensorBatch, type TensorShard } from '../parallel/mean-squared-error.ts';
import { usableTrainingThreads } from '../parallel/threads.ts';
import { isStatisticalArchitecture, resolvePriceParams, type PriceArchitecture, type PriceParams } from '@mlq/specs';
import { checkHorizon, horizonBounds, MIN_LINEAR_POINTS, MIN_TRAINING_WINDOWS, validatePriceParams, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, createWindows, fitPriceScaler, splitHoldout, type PriceScaler } from './data.ts';
import { conformalScaleFor, evaluateByBacktest } from './evaluation.ts';
import { linearTrend } from './forecasting/linear-trend.ts';
import { evaluateOnHoldout } from './holdout-evaluation.ts';
import { PRICE_MODEL_FORMAT, PRICE_MODEL_FORMAT_VERSION, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import { evaluateHoldout } from './metrics.ts';
import { buildPriceLstm } from './model.ts';
import { forecastRecursive, forecastRecursiveFromEach, predictNextClosesInChunks } from './predict.ts';
import { PRICE_CHECKPOINT_FORMAT, PRICE_CHECKPOINT_FORMAT_VERSION, readPriceCheckpoint, writePriceCheckpoint, type PriceEpochMetrics, type PriceTrainingPosition } from './checkpoint.ts';
import { PriceModel } from './price-model.ts';
import { trainStatisticalPriceModel } from './train-statistical.ts';

/** What `onEpochEnd` receives after each epoch. */
export type TrainProgress = PriceEpochMetrics;

export interface TrainPriceModelOptions {
  /**
   * `lstm`: the talk's network; `linear`: least squares on the time index (no tfjs); a statistical
   * architecture (`auto`, `naive`, `seasonal-naive`, `drift`, `ets`, `theta`, `optimized-theta`:
   * see `trainStatisticalPriceModel`, no tfjs either).
   */
  kind: PriceArchitecture;
  /**
   * The architecture's params (the family's spec says which it takes): the LSTM's, whose omitted
   * ones take `priceLstmDefaults` (linear ignores them); `period`; `quantiles` of the intervals
   * (every architecture, default 0.1, 0.5, 0.9).
   */
  params?: PriceParams;
  /** Default forecast horizon stored with the model, 1–365 points. @defaultValue 10 */
  horizon?: number;
  /** Points held out at the end for metrics, 1–365; never fitted on. @defaultValue the horizon */
  holdout?: number;
  /** Checked after every batch; aborting rejects with `TrainingCancelledError`. */
  signal?: AbortSignal;
  /** Called (and awaited) after every epoch, after its checkpoint. */
  onEpochEnd?: (progress: TrainProgress) => void | Promise<void>;
  /**
   * Called (and awaited) at each epoch end and when `signal` aborts between batches; call
   * `save(io)` to persist (see `writePriceCheckpoint` for the files).
   */
  checkpoint?: CheckpointHook;
  /** A checkpoint (written through `checkpoint`) to continue from, with the same series, holdout and params (`epochs` may differ). */
  resumeFrom?: ArtifactIO;
  /**
   * Seeds the initial weights and each epoch's window order (derived from the seed and the epoch
   * number): with `dropout: 0` the same seed trains the same model on one backend, resumed or not
   * (see `buildPriceLstm` for what stays random). @defaultValue random; a resumed run keeps its checkpoint's
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

/** Price shards below this many windows cost more in messaging than they save (measured: `npm run bench`, section recurrent). */
const MIN_WINDOWS_PER_THREAD = 64;

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new TrainingCancelledError(signal.reason);
}

function baseMetadata(closes: readonly number[], horizon: number, holdout: number) {
  return {
    format: PRICE_MODEL_FORMAT,
    formatVersion: PRICE_MODEL_FORMAT_VERSION,
    statistical: null,
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
 * Every model also gets its evaluation (`PriceModel.evaluation`): a linear model a rolling-origin
 * backtest of the line (fitted before each origin), an LSTM its forecasts from every origin
 * inside the holdout; a statistical architecture is trained by `trainStatisticalPriceModel`.
 *
 * The LSTM trains on sliding windows `[count, window, 1]` → next close `[count, 1]`, batch by
 * batch, optionally across `threads`; the event loop runs between batches (a queue worker keeps
 * renewing its job lock). Rejects with `NotEnoughDataError`, `InvalidSeriesError`,
 * `ModelConfigError`, `TrainingCancelledError` (signal aborted) or `TrainingDivergedError`
 * (NaN loss), having disposed every tensor it made.
 */
export async function trainPriceModel(closes: readonly number[], options: TrainPriceModelOptions): Promise<PriceModel> {
  if (isStatisticalArchitecture(options.kind)) {
    return trainStatisticalPriceModel(closes, { architecture: options.kind, params: options.params, horizon: options.horizon, holdout: options.holdout, signal: options.signal });
  }
  assertFiniteSeries(closes);
  const horizon = checkHorizon('horizon', options.horizon ?? horizonBounds.default);
  const holdout = checkHorizon('holdout', options.holdout ?? horizon);
  const n = closes.length;

  if (options.kind === 'linear') {
    const { quantiles } = resolvePriceParams('linear', options.params);
    const needed = holdout + MIN_LINEAR_POINTS;
    if (n < needed) throw new NotEnoughDataError(n, needed, `holdout ${holdout} + ${MIN_LINEAR_POINTS} training points`);
    throwIfAborted(options.signal);
    const trainLine = predictLinear(fitLinear(splitHoldout(closes, holdout).train), n - holdout, holdout);
    const evaluation = await evaluateByBacktest(Array.from(closes), linearTrend(), {
      horizon,
      quantiles,
      scale: conformalScaleFor(closes),
      method: 'backtest',
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const metadata: PriceModelMetadata = {
      ...baseMetadata(closes, horizon, holdout),
      kind: 'linear',
      params: null,
      scaler: null,
      quantiles,
      evaluation,
      historyTail: [],
      metrics: evaluateHoldout(closes, holdout, trainLine, trainLine),
    };
    return new PriceModel(metadata, null);
  }
  if (options.kind !== 'lstm') throw new TypeError(`kind must be a price architecture, got ${String(options.kind)}`);

  // The LSTM's own fields are checked first, in its words (`units is not a price LSTM parameter`).
  const { quantiles: givenQuantiles, ...lstmParams } = options.params ?? {};
  const params = validatePriceParams(lstmParams);
  const { quantiles } = resolvePriceParams('lstm', givenQuantiles === undefined ? {} : { quantiles: givenQuantiles });
  const { window } = params;
  const needed = window + holdout + MIN_TRAINING_WINDOWS;
  if (n < needed) throw new NotEnoughDataError(n, needed, `window ${window} + holdout ${holdout} + ${MIN_TRAINING_WINDOWS} training windows`);
  throwIfAborted(options.signal);

  const { train } = splitHoldout(closes, holdout);
  const scaler = fitPriceScaler(params.scaling, train);
  const resolved: PriceLstmParams = { ...params, scaling: scaler.kind };
  const model = await fitPriceLstm(train, scaler, resolved, holdout, options);
  try {
    const oneStep = await predictNextClosesInChunks(
      model,
      scaler,
      Array.from({ length: holdout }, (_, i) => closes.slice(n - holdout + i - window, n - holdout + i)),
      window,
      options.signal ? { signal: options.signal } : {},
    );
    const multiStep = await forecastRecursive(model, scaler, train, window, holdout, options.signal ? { signal: options.signal } : {});
    if (![...oneStep, ...multiStep].every(Number.isFinite)) throw new TrainingDivergedError('training diverged: holdout predictions are not finite');
    const evaluation = await evaluateOnHoldout(closes, holdout, {
      horizon,
      quantiles,
      scale: conformalScaleFor(closes),
      // The first origin is the end of the training part: its forecast is the holdout's multi-step one, already made.
      forecastFrom: async (histories, steps) => [
        multiStep.slice(0, steps),
        ...(await forecastRecursiveFromEach(model, scaler, histories.slice(1), window, steps, options.signal ? { signal: options.signal } : {})),
      ],
    });
    const metadata: PriceModelMetadata = {
      ...baseMetadata(closes, horizon, holdout),
      kind: 'lstm',
      params: resolved,
      scaler,
      quantiles,
      evaluation,
      historyTail: closes.slice(-window),
      metrics: evaluateHoldout(closes, holdout, oneStep, multiStep),
    };
    return new PriceModel(metadata, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** Where a fit starts: fresh weights at step 0, or a checkpoint's. */
interface FitStart {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  seed: number;
  position: PriceTrainingPosition;
}

/** A fresh network, or the checkpoint's weights and RMSprop state in a network built as a fresh one is. */
async function startFit(train: readonly number[], scaler: PriceScaler, params: PriceLstmParams, holdout: number, options: TrainPriceModelOptions): Promise<FitStart> {
  if (!options.resumeFrom) {
    const seed = options.seed ?? Math.floor(Math.random() * 2 ** 32);
    return { ...buildPriceLstm(params, seed), seed, position: { step: 0, epoch: 0, batchInEpoch: 0, epochLossSum: 0, history: [] } };
  }
  const checkpoint = await readPriceCheckpoint(options.resumeFrom);
  const { state } = checkpoint;
  let built: { model: tfl.LayersModel; optimizer: tf.Optimizer } | undefined;
  try {
    if (!sameFingerprint(state.series, fingerprintNumbers(train)) || state.holdout !== holdout) {
      throw new ModelError(
        `resumeFrom: the checkpoint was trained on another series or holdout (${state.series.length} training points, holdout ${state.holdout}; given ${train.length}, ${holdout})`,
      );
    }
    if (options.seed !== undefined && options.seed !== state.seed) throw new ModelConfigError('seed', `differs from the checkpoint's (${state.seed}); a resumed run keeps its seed`);
    for (const field of Object.keys(params) as Array<keyof PriceLstmParams>) {
      if (field !== 'epochs' && params[field] !== state.params[field]) {
        throw new ModelConfigError(field, `differs from the checkpoint's (${String(state.params[field])}); a resumed run may change only epochs`);
      }
    }
    built = buildPriceLstm(params, state.seed);
    const network = built.model;
    tf.tidy(() => network.setWeights(checkpoint.network.getWeights()));
    if (checkpoint.optimizer.values.length > 0) await restoreTfjsOptimizer(built.optimizer, checkpoint.optimizer);
    return { ...built, seed: state.seed, position: structuredClone(state.position) };
  } catch (error) {
    built?.model.dispose();
    built?.optimizer.dispose();
    throw error;
  } finally {
    checkpoint.network.dispose();
  }
}

/**
 * Builds (or restores) and fits the LSTM on the training part. The most recent `validationSplit`
 * of the windows give the validation loss. Returns the fitted network (the caller owns it); on any
 * failure disposes the network, and always the window tensors and the optimizer.
 */
async function fitPriceLstm(train: readonly number[], scaler: PriceScaler, params: PriceLstmParams, holdout: number, options: TrainPriceModelOptions): Promise<tfl.LayersModel> {
  const { signal } = options;
  const { model, optimizer, seed, position } = await startFit(train, scaler, params, holdout, options);
  let gradients: DataParallelGradients<TensorShard> | undefined;
  let tensors: tf.Tensor[] = [];
  try {
    const windows = createWindows(train, params.window, scaler);
    const validationCount = Math.floor(windows.count * params.validationSplit);
    const fitCount = windows.count - validationCount;
    const [xs, xsVal] = tf.split(windows.xs, [fitCount, validationCount], 0) as [tf.Tensor3D, tf.Tensor3D];
    const [ys, ysVal] = tf.split(windows.ys, [fitCount, validationCount], 0) as [tf.Tensor2D, tf.Tensor2D];
    tf.dispose([windows.xs, windows.ys]);
    tensors = [xs, ys, xsVal, ysVal];
    const batches = Math.ceil(fitCount / params.batchSize);
    const threads = usableTrainingThreads(options.threads ?? 1, Math.min(params.batchSize, fitCount), MIN_WINDOWS_PER_THREAD);
    gradients = await DataParallelGradients.start(model, threads, meanSquaredErrorObjective());

    const checkpointer = createCheckpointer(options.checkpoint, async (io) => {
      await writePriceCheckpoint(io, {
        state: {
          format: PRICE_CHECKPOINT_FORMAT,
          formatVersion: PRICE_CHECKPOINT_FORMAT_VERSION,
          params,
          seed,
          scaler,
          holdout,
          series: fingerprintNumbers(train),
          position: structuredClone(position),
          createdAt: new Date().toISOString(),
        },
        network: model,
        optimizer: await readTfjsOptimizer(optimizer),
      });
    });
    if (position.step > 0) checkpointer.resumedAt(position.step);
    const checkpoint = (reason: TrainingCheckpoint['reason']) => checkpointer.offer(reason, position.step, position.history.length);

    const fitEpochs = async () => {
      while (position.epoch < params.epochs) {
        // The epoch's order derives from the seed and the epoch number (tfjs' own shuffle uses
        // Math.random), so the same seed trains the same model, resumed or not.
        const order = tf.tensor1d(Int32Array.from(shuffledIndices(fitCount, deriveSeed(seed, RandomStream.shuffle, position.epoch))), 'int32');
        const [epochXs, epochYs] = [tf.gather(xs, order), tf.gather(ys, order)];
        order.dispose();
        try {
          while (position.batchInEpoch < batches) {
            throwIfAborted(signal);
            const start = position.batchInEpoch * params.batchSize;
            const size = Math.min(params.batchSize, fitCount - start);
            const [batchXs, batchYs] = [epochXs.slice(start, size), epochYs.slice(start, size)];
            let loss: number;
            try {
              const step = await gradients!.compute(splitTensorBatch(batchXs, batchYs, threads));
              loss = step.loss;
              try {
                optimizer.applyGradients(step.grads);
              } finally {
                tf.dispose(Object.values(step.grads));
              }
            } finally {
              tf.dispose([batchXs, batchYs]);
            }
            if (!Number.isFinite(loss)) {
              throw new TrainingDivergedError(
                `training diverged at epoch ${position.epoch + 1}, batch ${position.batchInEpoch + 1}: loss ${String(loss)}; try a lower learningRate (was ${params.learningRate})`,
              );
            }
            position.step++;
            position.batchInEpoch++;
            position.epochLossSum += loss * size;
            // Hands the event loop back after every batch: BullMQ renews job locks from it.
            await new Promise((resolve) => setImmediate(resolve));
          }
        } finally {
          tf.dispose([epochXs, epochYs]);
        }
        const valLoss = validationCount > 0 ? await meanSquaredErrorOf(model, xsVal, ysVal, params.batchSize, signal) : null;
        if (valLoss !== null && !Number.isFinite(valLoss)) {
          throw new TrainingDivergedError(`training diverged at epoch ${position.epoch + 1} (validation): loss ${String(valLoss)}; try a lower learningRate (was ${params.learningRate})`);
        }
        const metrics: PriceEpochMetrics = { epoch: position.epoch + 1, epochs: params.epochs, loss: position.epochLossSum / fitCount, valLoss };
        position.history.push(metrics);
        position.epoch++;
        position.batchInEpoch = 0;
        position.epochLossSum = 0;
        await checkpoint('epoch');
        await options.onEpochEnd?.(metrics);
      }
      throwIfAborted(signal);
    };
    try {
      await fitEpochs();
    } catch (error) {
      // Released or cancelled between batches: where the run stands is a checkpoint to go on from.
      if (error instanceof TrainingCancelledError) await checkpoint('abort');
      throw error;
    }
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    await gradients?.close();
    tf.dispose(tensors);
    optimizer.dispose();
  }
}

/**
 * MSE of the model's predictions for `xs` against `ys`, in inference mode, `batchSize` rows per
 * forward pass, returning to the event loop between passes.
 */
async function meanSquaredErrorOf(model: tfl.LayersModel, xs: tf.Tensor, ys: tf.Tensor, batchSize: number, signal: AbortSignal | undefined): Promise<number> {
  const yielder = new EventLoopYielder(signal);
  const rows = xs.shape[0]!;
  let sum = 0;
  for (let first = 0; first < rows; first += batchSize) {
    await yielder.maybeYield();
    const size = Math.min(batchSize, rows - first);
    sum += tf.tidy(() => tf.sum(tf.squaredDifference(ys.slice(first, size), model.predict(xs.slice(first, size)) as tf.Tensor)).dataSync()[0]!);
  }
  return sum / rows;
}
