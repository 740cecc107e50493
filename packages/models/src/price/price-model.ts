import type * as tfl from '@tensorflow/tfjs-layers';
import type { ArtifactIO } from '../io.ts';
import { ModelError, NotEnoughDataError } from '../errors.ts';
import type { LstmStackKernel } from '../recurrent/lstm-stack-kernel.ts';
import { checkHorizon, MIN_LINEAR_POINTS, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, assertPositiveSeries } from './data.ts';
import { compilePriceKernel, usePriceKernel } from './inference.ts';
import { readPriceArtifacts, writePriceArtifacts, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';
import { forecastRecursiveBatch, rejectedOutcome, tfjsNextValues, type ForecastOutcome, type NextValuesFunction, type RecursiveForecastRequest } from './predict.ts';

/** One forecast of `PriceModel.forecastBatch`: what `forecast` takes, as one object. */
export interface PriceForecastRequest {
  /** Points to forecast, 1–365. @defaultValue the horizon the model was trained with */
  horizon?: number;
  /** Closes (oldest first) to forecast after. @defaultValue the end of the training series */
  history?: readonly number[];
  /** Checked between steps: aborting rejects this request alone with `TrainingCancelledError`. */
  signal?: AbortSignal;
}

/** How a price model runs its forecasts now (`PriceModel.inference`). */
export interface PriceInferenceInfo {
  /** `kernel`: the WebAssembly LSTM kernel; `tfjs`: the tfjs network; `linear`: no network; `disposed`: no forecasts any more. */
  path: 'kernel' | 'tfjs' | 'linear' | 'disposed';
  /** Bytes the kernel holds beside the tfjs weights (its weight copy and workspace); 0 before its first forecast and after `dispose()`. */
  kernelBytes: number;
  /** Why the kernel does not cover this network, when it was asked for and does not. */
  unsupported?: string;
}

/** A validated request: a linear forecast already made, or the closes an LSTM forecast starts from. */
type PreparedForecast = { value: number[] } | { history: readonly number[]; horizon: number };

let readKernel: (model: PriceModel) => LstmStackKernel | null;

/**
 * A trained price model: forecast, save, dispose. Made by `trainPriceModel` or `loadPriceModel`;
 * an LSTM holds tfjs weights until `dispose()`, and, once it has forecast with the kernel, the
 * kernel's copy of them.
 */
export class PriceModel {
  #network: tfl.LayersModel | null;
  #disposed = false;
  #metadataBytes: number | undefined;
  /** Made on the first kernel forecast; `{ unsupported }` when the network is not one the kernel computes. */
  #kernel: LstmStackKernel | { unsupported: string } | undefined;

  static {
    readKernel = (model) => (model.#kernel && !('unsupported' in model.#kernel) ? model.#kernel : null);
  }

  /** @internal Use `trainPriceModel` or `loadPriceModel`. Takes ownership of `network`. */
  constructor(
    readonly metadata: PriceModelMetadata,
    network: tfl.LayersModel | null,
  ) {
    this.#network = network;
  }

  get kind(): 'lstm' | 'linear' {
    return this.metadata.kind;
  }

  /** LSTM hyperparameters as trained (empty for linear). */
  get params(): Partial<PriceLstmParams> {
    return this.metadata.params ?? {};
  }

  /** Holdout errors of the model and the naive and linear baselines. */
  get metrics(): PriceMetrics {
    return this.metadata.metrics;
  }

  /**
   * How forecasts run now (see `setPriceInference`). Where they would use the kernel, this makes
   * it as the next forecast would (so `unsupported` is known).
   */
  get inference(): PriceInferenceInfo {
    const kernel = this.#network && usePriceKernel() ? this.#compiledKernel() : this.#kernel;
    const kernelBytes = kernel && !('unsupported' in kernel) ? kernel.byteLength : 0;
    if (this.#disposed) return { path: 'disposed', kernelBytes };
    if (!this.#network) return { path: 'linear', kernelBytes };
    if (!usePriceKernel()) return { path: 'tfjs', kernelBytes };
    if (kernel && 'unsupported' in kernel) return { path: 'tfjs', kernelBytes, unsupported: kernel.unsupported };
    return { path: 'kernel', kernelBytes };
  }

  /**
   * The next `horizon` closes (1–365; default: the horizon it was trained with), after the
   * training series or after `history` (oldest first) when given. An LSTM forecasts recursively
   * from the last `window` values (so `history` needs at least `window`); a linear model fits its
   * line to `history` (at least 2 values) and extends it. Resolves to finite numbers in price
   * units; returns to the event loop between steps (`signal` is checked there).
   */
  async forecast(horizon: number = this.metadata.horizon, history?: readonly number[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    if (this.#disposed) throw new ModelError('this price model was disposed');
    const [outcome] = await this.forecastBatch([{ horizon, history, signal: options.signal }]);
    if (outcome!.status === 'rejected') throw outcome!.reason;
    return outcome!.value;
  }

  /**
   * Many forecasts at once, each as `forecast` would make it alone (within float32 rounding), in
   * the order asked: an LSTM runs every request's window through the network together at each
   * step, so a batch of B costs about one forward pass of B per step. Each request succeeds or
   * fails alone (`{ status: 'rejected', reason }` for a bad horizon or history, its own signal
   * aborted, or a non-finite result), as `Promise.allSettled` reports; the model being disposed
   * during the batch rejects the requests not yet done. Rejects as a whole only when the model
   * was disposed before the call.
   */
  async forecastBatch(requests: readonly PriceForecastRequest[]): Promise<ForecastOutcome[]> {
    if (this.#disposed) throw new ModelError('this price model was disposed');
    const outcomes: ForecastOutcome[] = new Array(requests.length);
    const recursive: Array<RecursiveForecastRequest & { index: number }> = [];
    requests.forEach((request, index) => {
      try {
        const prepared = this.#prepare(request);
        if ('value' in prepared) outcomes[index] = checkFinite(prepared.value);
        else recursive.push({ ...prepared, signal: request.signal, index });
      } catch (error) {
        outcomes[index] = rejectedOutcome(error);
      }
    });
    if (recursive.length > 0) {
      const { window } = this.metadata.params!;
      const assertAlive = () => {
        if (this.#disposed) throw new ModelError('this price model was disposed during a forecast');
      };
      const results = await forecastRecursiveBatch(this.#nextValues(), this.metadata.scaler!, recursive, window, { assertAlive });
      results.forEach((result, i) => (outcomes[recursive[i]!.index] = result.status === 'fulfilled' ? checkFinite(result.value) : result));
    }
    return outcomes;
  }

  /** Checks one request as `forecast` always has (same errors, same order); a linear forecast is made here. */
  #prepare({ horizon = this.metadata.horizon, history }: PriceForecastRequest): PreparedForecast {
    checkHorizon('horizon', horizon);
    if (history) assertFiniteSeries(history, 'history');
    if (this.#network) {
      const { window } = this.metadata.params!;
      const source = history ?? this.metadata.historyTail;
      if (source.length < window) throw new NotEnoughDataError(source.length, window, `a forecast from history with window ${window}`);
      if (this.metadata.scaler!.kind === 'relative') assertPositiveSeries(source.slice(-window), 'history');
      return { history: source, horizon };
    }
    if (history) {
      if (history.length < MIN_LINEAR_POINTS) throw new NotEnoughDataError(history.length, MIN_LINEAR_POINTS, 'a linear forecast from history');
      return { value: predictLinear(fitLinear(history), history.length, horizon) };
    }
    return { value: predictLinear(this.metadata.linear, this.metadata.seriesLength, horizon) };
  }

  /** The network as a function of encoded windows: the kernel when `usePriceKernel()` and it covers the network, else tfjs. */
  #nextValues(): NextValuesFunction {
    const network = this.#network!;
    const { window } = this.metadata.params!;
    if (usePriceKernel()) {
      const kernel = this.#compiledKernel();
      if (!('unsupported' in kernel)) return (windows, count) => kernel.predict(windows, count, window);
    }
    return tfjsNextValues(network, window);
  }

  /** The kernel, made (its weights copied out of tfjs) on first use; a network it does not cover says why. */
  #compiledKernel(): LstmStackKernel | { unsupported: string } {
    this.#kernel ??= compilePriceKernel(this.#network!);
    return this.#kernel;
  }

  /**
   * Bytes this model holds: its weights as float32 (4 per parameter; none for linear) plus its
   * metadata as JSON. For byte-bounded caches.
   */
  byteSize(): number {
    this.#metadataBytes ??= JSON.stringify(this.metadata).length;
    return (this.#network ? this.#network.countParams() * 4 : 0) + this.#metadataBytes;
  }

  /** Writes `metadata.json`, and `model.json` + `weights.bin` for an LSTM. */
  async save(io: ArtifactIO): Promise<void> {
    if (this.#disposed) throw new ModelError('this price model was disposed');
    await writePriceArtifacts(io, this.metadata, this.#network);
  }

  /** Frees the weights. Idempotent; the model cannot forecast or save afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#network?.dispose();
    this.#network = null;
    if (this.#kernel && !('unsupported' in this.#kernel)) this.#kernel.release();
    this.#kernel = undefined;
  }
}

function checkFinite(forecast: number[]): ForecastOutcome {
  for (const value of forecast) if (!Number.isFinite(value)) return rejectedOutcome(new ModelError('the model produced a non-finite forecast'));
  return { status: 'fulfilled', value: forecast };
}

/** @internal For tests: the kernel a model holds now, if any. */
export function heldKernelOf(model: PriceModel): LstmStackKernel | null {
  return readKernel(model);
}

/** Loads a model saved by `PriceModel.save`, in this process or another. */
export async function loadPriceModel(io: ArtifactIO): Promise<PriceModel> {
  const { metadata, network } = await readPriceArtifacts(io);
  return new PriceModel(metadata, network);
}
