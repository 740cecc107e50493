import type * as tfl from '@tensorflow/tfjs-layers';
import { DEFAULT_PRICE_QUANTILES, isStatisticalArchitecture, priceArchitectures, type PriceArchitecture } from '@mlq/specs';
import { ModelError } from '../errors.ts';
import { loadLayersModel, readJson, saveLayersModel, writeJson, type ArtifactIO } from '../io.ts';
import type { PriceLstmParams } from './config.ts';
import type { PriceScaler } from './data.ts';
import { unavailableEvaluation, type PriceEvaluation } from './evaluation.ts';
import type { ForecasterState } from './forecasting/forecaster.ts';
import type { LinearFit } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';

export const PRICE_MODEL_FORMAT = 'mlq-price-model';
export const PRICE_MODEL_FORMAT_VERSION = 1;

/** Everything about a price model besides its weights; saved as `metadata.json` (JSON-serialisable). */
export interface PriceModelMetadata {
  format: typeof PRICE_MODEL_FORMAT;
  formatVersion: typeof PRICE_MODEL_FORMAT_VERSION;
  /** The architecture: `lstm`, `linear` or a statistical one (`auto`, `ets`, …). */
  kind: PriceArchitecture;
  /** LSTM hyperparameters as trained (`scaling` resolved to `relative` or `minmax`); null for the others. */
  params: PriceLstmParams | null;
  /** Fitted on the training part only; null but for the LSTM. */
  scaler: PriceScaler | null;
  /** A statistical architecture's fitted forecaster; null for lstm and linear. */
  statistical: StatisticalPart | null;
  /** The quantile levels of its intervals (ascending). */
  quantiles: number[];
  /** Skill against naive and interval calibration, from its own evaluation (see `PriceEvaluation`). */
  evaluation: PriceEvaluation;
  /** The line through the whole series: the linear model's forecast (kept for LSTMs too, as a baseline). */
  linear: LinearFit;
  /** Default forecast horizon, in points. */
  horizon: number;
  /** Points at the end of the series held out from fitting; the metrics are computed on them. */
  holdout: number;
  /**
   * Points the weights (or the scaler) were fitted on: the series less its holdout; a statistical
   * forecaster is fitted on the whole series (its holdout metrics come from a fit without it).
   */
  trainedPoints: number;
  /** Points in the whole series, holdout included. */
  seriesLength: number;
  /** The last `window` closes of the series (empty for linear): what `forecast()` starts from. */
  historyTail: number[];
  metrics: PriceMetrics;
  /** tfjs backend that trained it (`tf.getBackend()`). */
  backend: string;
  /** `@tensorflow/tfjs-core` version that trained it. */
  tfjsVersion: string;
  /** ISO 8601 time the training finished. */
  createdAt: string;
}

/** What a statistical price model forecasts with. */
export interface StatisticalPart {
  /** Season length it was given; null for none. */
  period: number | null;
  /** The forecaster fitted on the whole series (`toState()`; `restoreForecaster` turns it back). */
  forecaster: ForecasterState;
}

/**
 * Writes a price model's artifacts: `metadata.json`, plus tfjs' `model.json` (topology and
 * weight specs) and `weights.bin` for an LSTM. Metadata goes last, so a reader that finds it
 * finds the rest.
 */
export async function writePriceArtifacts(io: ArtifactIO, metadata: PriceModelMetadata, network: tfl.LayersModel | null): Promise<void> {
  if (network) await saveLayersModel(network, io);
  await writeJson(io, 'metadata.json', metadata);
}

/** Reads what `writePriceArtifacts` wrote; the caller owns (and disposes) the network. */
export async function readPriceArtifacts(io: ArtifactIO): Promise<{ metadata: PriceModelMetadata; network: tfl.LayersModel | null }> {
  const metadata = checkMetadata(await readJson<unknown>(io, 'metadata.json'));
  const network = metadata.kind === 'lstm' ? await loadLayersModel(io) : null;
  return { metadata, network };
}

/** What a model saved before evaluations existed says about its intervals and skill. */
const SAVED_BEFORE_EVALUATION = 'the model was saved before price models measured their skill and intervals; train it again for them';

function checkMetadata(value: unknown): PriceModelMetadata {
  const m = value as Partial<PriceModelMetadata> | null;
  if (m?.format !== PRICE_MODEL_FORMAT) throw new ModelError(`metadata.json is not a price model (format ${String(m?.format)})`);
  if (m.formatVersion !== PRICE_MODEL_FORMAT_VERSION) {
    throw new ModelError(`price model format version ${String(m.formatVersion)} is not supported (this library reads ${PRICE_MODEL_FORMAT_VERSION})`);
  }
  if (!(priceArchitectures as readonly unknown[]).includes(m.kind)) throw new ModelError(`price model kind ${String(m.kind)} is unknown`);
  if (m.kind === 'lstm' && (!m.params || !m.scaler || !Array.isArray(m.historyTail) || m.historyTail.length < m.params.window)) {
    throw new ModelError('metadata.json of an LSTM price model lacks params, scaler or its history tail');
  }
  if (isStatisticalArchitecture(m.kind!) && typeof m.statistical?.forecaster !== 'object') throw new ModelError(`metadata.json of a ${m.kind} price model lacks its forecaster`);
  // Models saved before statistical architectures and evaluations existed load as they were.
  return { statistical: null, quantiles: [...DEFAULT_PRICE_QUANTILES], evaluation: unavailableEvaluation(SAVED_BEFORE_EVALUATION), ...m } as PriceModelMetadata;
}
