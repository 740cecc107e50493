import type * as tfl from '@tensorflow/tfjs-layers';
import { loadLayersModel, readJson, saveLayersModel, writeJson, type ArtifactIO } from '../io.ts';
import { ModelError, NotEnoughDataError } from '../errors.ts';
import { checkHorizon, type PriceLstmParams } from './config.ts';
import { assertFiniteSeries, type PriceScaler } from './data.ts';
import { fitLinear, predictLinear, type LinearFit } from './linear.ts';
import { forecastRecursive } from './predict.ts';
import type { PriceMetrics } from './metrics.ts';

export const PRICE_MODEL_FORMAT = 'mlq-price-model';

/** Everything besides the weights, saved as `metadata.json` (JSON-serialisable). */
export interface PriceModelMetadata {
  format: typeof PRICE_MODEL_FORMAT;
  formatVersion: 1;
  kind: 'lstm' | 'linear';
  /** LSTM hyperparameters; null for linear. */
  params: PriceLstmParams | null;
  /** Fitted on the training part only; null for linear. */
  scaler: PriceScaler | null;
  /** The line through the whole series: the linear model's forecast (also kept for LSTMs, as a baseline). */
  linear: LinearFit;
  horizon: number;
  holdout: number;
  /** Points the weights were fitted on (the series less its holdout). */
  trainedPoints: number;
  seriesLength: number;
  /** The last `window` closes, forecast from when no history is given. */
  historyTail: number[];
  metrics: PriceMetrics;
  backend: string;
  tfjsVersion: string;
  createdAt: string;
}

/** A trained price model: forecast, save, dispose. */
export class PriceModel {
  constructor(
    readonly metadata: PriceModelMetadata,
    private readonly network: tfl.LayersModel | null,
  ) {}

  get kind(): 'lstm' | 'linear' {
    return this.metadata.kind;
  }

  /** LSTM hyperparameters (empty for linear). */
  get params(): Partial<PriceLstmParams> {
    return this.metadata.params ?? {};
  }

  get metrics(): PriceMetrics {
    return this.metadata.metrics;
  }

  /**
   * The next `horizon` values after the training series, or after `history` (oldest first) when
   * given: an LSTM forecasts recursively from its last `window` values; a linear model fits its
   * line to `history` and extends it. Returns plain numbers in price units.
   */
  forecast(horizon = this.metadata.horizon, history?: readonly number[]): number[] {
    checkHorizon('horizon', horizon);
    if (history) assertFiniteSeries(history);
    let result: number[];
    if (this.network) {
      const window = this.metadata.params!.window;
      const source = history ?? this.metadata.historyTail;
      if (source.length < window) throw new NotEnoughDataError(source.length, window, `a forecast from history with window ${window}`);
      result = forecastRecursive(this.network, this.metadata.scaler!, source, window, horizon);
    } else if (history) {
      if (history.length < 2) throw new NotEnoughDataError(history.length, 2, 'a linear forecast from history');
      result = predictLinear(fitLinear(history), history.length, horizon);
    } else {
      result = predictLinear(this.metadata.linear, this.metadata.seriesLength, horizon);
    }
    if (!result.every(Number.isFinite)) throw new ModelError('the model produced a non-finite forecast');
    return result;
  }

  /** Bytes of weights held in memory (float32), for byte-bounded caches. */
  byteSize(): number {
    return this.network ? this.network.countParams() * 4 : 64;
  }

  async save(io: ArtifactIO): Promise<void> {
    if (this.network) await saveLayersModel(this.network, io);
    await writeJson(io, 'metadata.json', this.metadata);
  }

  dispose(): void {
    this.network?.dispose();
  }
}

/** Loads a model saved by `PriceModel.save`, in this process or another. */
export async function loadPriceModel(io: ArtifactIO): Promise<PriceModel> {
  const metadata = await readJson<PriceModelMetadata>(io, 'metadata.json');
  if (metadata.format !== PRICE_MODEL_FORMAT) throw new ModelError(`not a price model (format ${String(metadata.format)})`);
  const network = metadata.kind === 'lstm' ? await loadLayersModel(io) : null;
  return new PriceModel(metadata, network);
}
