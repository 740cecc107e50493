import type * as tfl from '@tensorflow/tfjs-layers';
import type { ArtifactIO } from '../io.ts';
import { ModelError, NotEnoughDataError } from '../errors.ts';
import { checkHorizon, MIN_LINEAR_POINTS, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, assertPositiveSeries } from './data.ts';
import { readPriceArtifacts, writePriceArtifacts, type PriceModelMetadata } from './io.ts';
import { fitLinear, predictLinear } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';
import { forecastRecursive } from './predict.ts';

/**
 * A trained price model: forecast, save, dispose. Made by `trainPriceModel` or `loadPriceModel`;
 * an LSTM holds tfjs weights until `dispose()`.
 */
export class PriceModel {
  #network: tfl.LayersModel | null;
  #disposed = false;
  #metadataBytes: number | undefined;

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
   * The next `horizon` closes (1–365; default: the horizon it was trained with), after the
   * training series or after `history` (oldest first) when given. An LSTM forecasts recursively
   * from the last `window` values (so `history` needs at least `window`); a linear model fits its
   * line to `history` (at least 2 values) and extends it. Resolves to finite numbers in price
   * units; returns to the event loop between steps (`signal` is checked there).
   */
  async forecast(horizon: number = this.metadata.horizon, history?: readonly number[], options: { signal?: AbortSignal } = {}): Promise<number[]> {
    if (this.#disposed) throw new ModelError('this price model was disposed');
    checkHorizon('horizon', horizon);
    if (history) assertFiniteSeries(history, 'history');
    let result: number[];
    if (this.#network) {
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
    return result;
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
  }
}

/** Loads a model saved by `PriceModel.save`, in this process or another. */
export async function loadPriceModel(io: ArtifactIO): Promise<PriceModel> {
  const { metadata, network } = await readPriceArtifacts(io);
  return new PriceModel(metadata, network);
}
