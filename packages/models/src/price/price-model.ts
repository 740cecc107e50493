import type * as tfl from '@tensorflow/tfjs-layers';
import { isStatisticalArchitecture, type AutoSelectionSummary, type ForecastIntervals, type ForecastSkill, type PriceArchitecture, type Unavailable } from '@mlq/specs';
import type { ArtifactIO } from '../io.ts';
import { ModelError, NotEnoughDataError } from '../errors.ts';
import type { LstmStackKernel } from '../recurrent/lstm-stack-kernel.ts';
import { checkHorizon, MIN_LINEAR_POINTS, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, assertPositiveSeries } from './data.ts';
import { compilePriceKernel, usePriceKernel } from './inference.ts';
import { intervalsOf, type PriceEvaluation } from './evaluation.ts';
import type { AutoState, FittedForecaster } from './forecasting/forecaster.ts';
import { restoreForecaster } from './forecasting/restore.ts';
import { readPriceArtifacts, writePriceArtifacts, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';
import { forecastRecursiveBatch, rejectedOutcome, tfjsNextValues, type ForecastOutcome, type NextValuesFunction, type RecursiveForecastRequest } from './predict.ts';
import { refitSpecification, statisticalForecaster } from './statistical-forecasters.ts';

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

/** A validated request: a forecast already made (linear, statistical) with its method, or the closes an LSTM forecast starts from. */
type PreparedForecast = { value: number[]; method: string } | { history: readonly number[]; horizon: number };

let readKernel: (model: PriceModel) => LstmStackKernel | null;

/** A price model's params as trained: the LSTM's (lstm), `period` (where given), `quantiles`. */
export type PriceModelParams = Partial<PriceLstmParams> & { period?: number; quantiles: number[] };

/** A forecast with what the model can say about it. */
export interface PriceForecast {
  forecast: number[];
  /** What made it: `lstm`, `linear`, or the fitted statistical method (`ets(damped)`, `auto: naive`). */
  method: string;
  /** Per quantile, its value at each step; null when the model cannot give them (`unavailable.intervals` says why). */
  intervals: ForecastIntervals | null;
  /** Skill against naive from the model's evaluation; null when it has none (`unavailable.skill`). */
  skill: ForecastSkill | null;
  unavailable: Unavailable;
}

/**
 * A trained price model: forecast (with intervals and skill), save, dispose. Made by
 * `trainPriceModel` or `loadPriceModel`; an LSTM holds tfjs weights until `dispose()` (and, once
 * it has forecast with the kernel, the kernel's copy of them), a statistical model its fitted
 * forecaster (plain numbers).
 */
export class PriceModel {
  #network: tfl.LayersModel | null;
  #forecaster: FittedForecaster | null;
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
    this.#forecaster = metadata.statistical ? restoreForecaster(metadata.statistical.forecaster) : null;
  }

  get kind(): PriceArchitecture {
    return this.metadata.kind;
  }

  /** Params as trained: the LSTM's (lstm), `period` (where given), `quantiles`. */
  get params(): PriceModelParams {
    const period = this.metadata.statistical?.period;
    return { ...(this.metadata.params ?? {}), ...(period ? { period } : {}), quantiles: [...this.metadata.quantiles] };
  }

  /** What makes its forecasts: `lstm`, `linear`, or the fitted statistical method (`ets(damped)`; `auto: theta` for auto). */
  get method(): string {
    return this.#forecaster?.label ?? this.metadata.kind;
  }

  /** Holdout errors of the model and the naive and linear baselines. */
  get metrics(): PriceMetrics {
    return this.metadata.metrics;
  }

  /** Its own evaluation: backtest scores, skill against naive, interval calibration, and what is unavailable and why. */
  get evaluation(): PriceEvaluation {
    return this.metadata.evaluation;
  }

  /** auto's choice on the whole series: every candidate's backtest score and why the one it serves won; null for the other architectures. */
  get selection(): AutoSelectionSummary | null {
    const state = this.metadata.statistical?.forecaster;
    if (state?.method !== 'auto') return null;
    const { chosen, reason, folds, horizon, candidates } = (state as AutoState).selection;
    return { chosen, reason, folds, horizon, candidates: structuredClone(candidates) };
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
   * line to `history` (at least 2 values) and extends it; a statistical model refits its
   * specification on `history` (auto: the candidate it chose; as many values as that fits on).
   * Resolves to finite numbers in price units; returns to the event loop between steps (`signal`
   * is checked there).
   */
  async forecast(horizon: number = this.metadata.horizon, history?: readonly number[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    return (await this.#forecastWith(horizon, history, options)).forecast;
  }

  /**
   * `forecast`, with its quantiles (each step's conformal offsets from the model's evaluation,
   * added to the point forecast) and the model's skill against naive. A forecast from `history`
   * keeps the training series' calibration and skill.
   */
  async forecastWithIntervals(horizon: number = this.metadata.horizon, history?: readonly number[], options: { signal?: AbortSignal } = {}): Promise<PriceForecast> {
    const { forecast, method } = await this.#forecastWith(horizon, history, options);
    const { calibration, skill, unavailable } = this.metadata.evaluation;
    const bands = intervalsOf(forecast, calibration, unavailable.intervals);
    return {
      forecast,
      method,
      intervals: bands.intervals,
      skill,
      unavailable: { ...(bands.reason === undefined ? {} : { intervals: bands.reason }), ...(skill ? {} : { skill: unavailable.skill ?? 'the model has no evaluation' }) },
    };
  }

  async #forecastWith(horizon: number, history: readonly number[] | undefined, options: { signal?: AbortSignal }): Promise<{ forecast: number[]; method: string }> {
    if (this.#disposed) throw new ModelError('this price model was disposed');
    if (!this.#network) {
      const { value, method } = this.#prepare({ horizon, history }) as { value: number[]; method: string };
      const outcome = checkFinite(value);
      if (outcome.status === 'rejected') throw outcome.reason;
      return { forecast: outcome.value, method };
    }
    const [outcome] = await this.forecastBatch([{ horizon, history, signal: options.signal }]);
    if (outcome!.status === 'rejected') throw outcome!.reason;
    return { forecast: outcome!.value, method: this.method };
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

  /** Checks one request as `forecast` always has (same errors, same order); a linear or statistical forecast is made here. */
  #prepare({ horizon = this.metadata.horizon, history }: PriceForecastRequest): PreparedForecast {
    checkHorizon('horizon', horizon);
    if (history) assertFiniteSeries(history, 'history');
    if (this.#forecaster) {
      const { kind, statistical } = this.metadata;
      if (!history || !isStatisticalArchitecture(kind)) return { value: this.#forecaster.forecast(horizon), method: this.method };
      const settings = statistical!.period ? { period: statistical!.period } : {};
      let specification = refitSpecification(kind, settings, this.#forecaster, this.metadata.horizon);
      // A history too short for the candidate auto chose gets auto's own choice on it (naive at worst).
      if (kind === 'auto' && history.length < specification.minLength) specification = statisticalForecaster('auto', settings, this.metadata.horizon);
      const refit = specification.fit(history);
      return { value: refit.forecast(horizon), method: kind === 'auto' && refit.method !== 'auto' ? `auto: ${refit.label}` : refit.label };
    }
    if (this.#network) {
      const { window } = this.metadata.params!;
      const source = history ?? this.metadata.historyTail;
      if (source.length < window) throw new NotEnoughDataError(source.length, window, `a forecast from history with window ${window}`);
      if (this.metadata.scaler!.kind === 'relative') assertPositiveSeries(source.slice(-window), 'history');
      return { history: source, horizon };
    }
    if (history) {
      if (history.length < MIN_LINEAR_POINTS) throw new NotEnoughDataError(history.length, MIN_LINEAR_POINTS, 'a linear forecast from history');
      return { value: predictLinear(fitLinear(history), history.length, horizon), method: this.method };
    }
    return { value: predictLinear(this.metadata.linear, this.metadata.seriesLength, horizon), method: this.method };
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
   * Bytes this model holds: its weights as float32 (4 per parameter; none but for the LSTM) plus
   * its metadata as JSON (a statistical model's fitted forecaster is there). For byte-bounded caches.
   */
  byteSize(): number {
    this.#metadataBytes ??= JSON.stringify(this.metadata).length;
    return (this.#network ? this.#network.countParams() * 4 : 0) + this.#metadataBytes;
  }

  /** Writes `metadata.json` (with a statistical model's forecaster state), and `model.json` + `weights.bin` for an LSTM. */
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
    this.#forecaster = null;
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
