import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { loadLayersModel, saveLayersModel, type ArtifactIO } from '../io.ts';
import { readCheckpointState, readOptimizerSlots, writeCheckpointFiles, type CheckpointHeader, type DataFingerprint, type TrainingPosition } from '../checkpoint/files.ts';
import type { OptimizerSlots } from '../checkpoint/tfjs-optimizer.ts';
import type { PriceLstmParams } from './config.ts';
import type { PriceScaler } from './data.ts';

export const PRICE_CHECKPOINT_FORMAT = 'mlq-price-checkpoint';
export const PRICE_CHECKPOINT_FORMAT_VERSION = 1;

/** Metrics of one finished epoch. */
export interface PriceEpochMetrics {
  /** 1-based. */
  epoch: number;
  epochs: number;
  /** Mean training loss of the epoch: MSE on scaled values. */
  loss: number;
  /** MSE on the validation windows; null when `validationSplit` leaves none. */
  valLoss: number | null;
}

/** Where a price training stands. */
export interface PriceTrainingPosition extends TrainingPosition {
  /** Sum of batch loss × batch windows of the epoch in progress. */
  epochLossSum: number;
  /** Metrics of the finished epochs. */
  history: PriceEpochMetrics[];
}

/**
 * `checkpoint.json` of a price LSTM training. The window order of an epoch derives from `seed`
 * and the epoch number, so nothing random is left to save; dropout masks are tfjs' own (not
 * seeded), so a run with dropout resumes to an equivalent model, not the same bits.
 */
export interface PriceCheckpointState extends CheckpointHeader {
  format: typeof PRICE_CHECKPOINT_FORMAT;
  formatVersion: typeof PRICE_CHECKPOINT_FORMAT_VERSION;
  /** As trained: `scaling` resolved. */
  params: PriceLstmParams;
  seed: number;
  scaler: PriceScaler;
  holdout: number;
  /** The training part of the series (before the holdout): a resumed run must be given the same. */
  series: DataFingerprint;
  position: PriceTrainingPosition;
  /** RMSprop's iteration count and slot shapes (mean squares, then moments); the values are in `optimizer.bin`. */
  optimizer: { iterations: number; shapes: number[][] };
}

/** Writes `model.json` + `weights.bin`, `optimizer.bin` and `checkpoint.json` (last). */
export async function writePriceCheckpoint(io: ArtifactIO, parts: { state: Omit<PriceCheckpointState, 'optimizer'>; network: tfl.LayersModel; optimizer: OptimizerSlots }): Promise<void> {
  const { iterations, shapes, values } = parts.optimizer;
  const state: PriceCheckpointState = { ...parts.state, optimizer: { iterations, shapes } };
  await writeCheckpointFiles(io, { writeModel: () => saveLayersModel(parts.network, io), slots: values, state });
}

/** Reads a price checkpoint; the caller owns the network. */
export async function readPriceCheckpoint(io: ArtifactIO): Promise<{ state: PriceCheckpointState; network: tfl.LayersModel; optimizer: OptimizerSlots }> {
  const state = await readCheckpointState<PriceCheckpointState>(io, PRICE_CHECKPOINT_FORMAT, PRICE_CHECKPOINT_FORMAT_VERSION, ['params', 'seed', 'scaler', 'series', 'optimizer', 'holdout']);
  const values = await readOptimizerSlots(
    io,
    state.optimizer.shapes.map((shape) => shape.reduce((a, b) => a * b, 1)),
  );
  const network = await loadLayersModel(io);
  const weights = network.trainableWeights.length;
  if (state.optimizer.shapes.length !== 0 && state.optimizer.shapes.length !== 2 * weights) {
    network.dispose();
    throw new ModelError(`checkpoint.json has optimizer slots for ${state.optimizer.shapes.length / 2} variables; the network has ${weights}`);
  }
  return { state, network, optimizer: { iterations: state.optimizer.iterations, shapes: state.optimizer.shapes, values } };
}
