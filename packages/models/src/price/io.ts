import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { loadLayersModel, readJson, saveLayersModel, writeJson, type ArtifactIO } from '../io.ts';
import type { PriceLstmParams } from './config.ts';
import type { PriceScaler } from './data.ts';
import type { LinearFit } from './linear.ts';
import type { PriceMetrics } from './metrics.ts';

export const PRICE_MODEL_FORMAT = 'mlq-price-model';
export const PRICE_MODEL_FORMAT_VERSION = 1;

/** Everything about a price model besides its weights; saved as `metadata.json` (JSON-serialisable). */
export interface PriceModelMetadata {
  format: typeof PRICE_MODEL_FORMAT;
  formatVersion: typeof PRICE_MODEL_FORMAT_VERSION;
  kind: 'lstm' | 'linear';
  /** LSTM hyperparameters as trained (`scaling` resolved to `relative` or `minmax`); null for linear. */
  params: PriceLstmParams | null;
  /** Fitted on the training part only; null for linear. */
  scaler: PriceScaler | null;
  /** The line through the whole series: the linear model's forecast (kept for LSTMs too, as a baseline). */
  linear: LinearFit;
  /** Default forecast horizon, in points. */
  horizon: number;
  /** Points at the end of the series held out from fitting; the metrics are computed on them. */
  holdout: number;
  /** Points the weights (or the scaler) were fitted on: the series less its holdout. */
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

function checkMetadata(value: unknown): PriceModelMetadata {
  const m = value as Partial<PriceModelMetadata> | null;
  if (m?.format !== PRICE_MODEL_FORMAT) throw new ModelError(`metadata.json is not a price model (format ${String(m?.format)})`);
  if (m.formatVersion !== PRICE_MODEL_FORMAT_VERSION) {
    throw new ModelError(`price model format version ${String(m.formatVersion)} is not supported (this library reads ${PRICE_MODEL_FORMAT_VERSION})`);
  }
  if (m.kind !== 'lstm' && m.kind !== 'linear') throw new ModelError(`price model kind ${String(m.kind)} is unknown`);
  if (m.kind === 'lstm' && (!m.params || !m.scaler || !Array.isArray(m.historyTail) || m.historyTail.length < m.params.window)) {
    throw new ModelError('metadata.json of an LSTM price model lacks params, scaler or its history tail');
  }
  return m as PriceModelMetadata;
}
