import type * as tfl from '@tensorflow/tfjs-layers';
import { isStatisticalArchitecture, type AutoSelectionSummary, type ForecastIntervals, type ForecastSkill, type PriceArchitecture, type Unavailable } from '@mlq/specs';
import type { ArtifactIO } from '../io.ts';
import { ModelError, NotEnoughDataError } from '../errors.ts';
import { checkHorizon, MIN_LINEAR_POINTS, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, assertPositiveSeries } from './data.ts';
import { intervalsOf, type PriceEvaluation } from './evaluation.ts';
import type { AutoState, FittedForecaster } from './forecasting/forecaster.ts';
import { restoreForecaster } from './forecasting/restore.ts';
import { readPriceArtifacts, writePriceArtifacts, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';
import { forecastRecursive } from './predict.ts';
import { refitSpecification, statisticalForecaster } from './statistical-forecasters.ts';

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
 * `trainPriceModel` or `loadPriceModel`; an LSTM holds tfjs weights until `dispose()`, a
 * statistical model its fitted forecaster (plain numbers).
 */
export class PriceModel {
  #network: tfl.LayersModel | null;
  #forecaster: FittedForecaster | null;
  #disposed = false;
  #metadataBytes: number | undefined;

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
    checkHorizon('horizon', horizon);
    if (history) assertFiniteSeries(history, 'history');
    let result: number[];
    let method = this.method;
    if (this.#forecaster) {
      const { kind, statistical } = this.metadata;
      if (history && isStatisticalArchitecture(kind)) {
        const settings = statistical!.period ? { period: statistical!.period } : {};
        let specification = refitSpecification(kind, settings, this.#forecaster, this.metadata.horizon);
        // A history too short for the candidate auto chose gets auto's own choice on it (naive at worst).
        if (kind === 'auto' && history.length < specification.minLength) specification = statisticalForecaster('auto', settings, this.metadata.horizon);
        const refit = specification.fit(history);
        result = refit.forecast(horizon);
        method = kind === 'auto' && refit.method !== 'auto' ? `auto: ${refit.label}` : refit.label;
      } else {
        result = this.#forecaster.forecast(horizon);
      }
    } else if (this.#network) {
      const { window } = this.metadata.params!;
      const source = history ?? this.metadata.historyTail;
      if (source.length < window) throw new NotEnoughDataError(source.length, window, `a forecast from history with window ${window}`);
      if (this.metadata.scaler!.kind === 'relative') assertPositiveSeries(source.slice(-window), 'history');
      const assertAlive = () => {
        if (this.#disposed) throw new ModelError('this price model was disposed during a forecast');
      };
      result = await forecastRecursive(this.#network, this.metadata.scaler!, source, window, horizon, { ...options, assertAlive });
    } else if (history) {
      if (history.length < MIN_LINEAR_POINTS) throw new NotEnoughDataError(history.length, MIN_LINEAR_POINTS, 'a linear forecast from history');
      result = predictLinear(fitLinear(history), history.length, horizon);
    } else {
      result = predictLinear(this.metadata.linear, this.metadata.seriesLength, horizon);
    }
    if (!result.every(Number.isFinite)) throw new ModelError('the model produced a non-finite forecast');
    return { forecast: result, method };
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
    this.#forecaster = null;
  }
}

/** Loads a model saved by `PriceModel.save`, in this process or another. */
export async function loadPriceModel(io: ArtifactIO): Promise<PriceModel> {
  const { metadata, network } = await readPriceArtifacts(io);
  return new PriceModel(metadata, network);
}
