import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import { fingerprintText, readCheckpointState, readOptimizerSlots, writeCheckpointFiles, type CheckpointHeader, type DataFingerprint, type TrainingPosition } from '../checkpoint/files.ts';
import type { AdamState } from '../checkpoint/adam.ts';
import type { TextGenParams } from './config.ts';
import { readTextModelArtifacts, writeTextModelArtifacts, type TextEpochMetrics, type TextModelMetadata } from './io.ts';
import type { CharVocabulary } from './vocabulary.ts';

export const TEXT_CHECKPOINT_FORMAT = 'mlq-textgen-checkpoint';
export const TEXT_CHECKPOINT_FORMAT_VERSION = 1;

/** Where a text training run stands; everything besides weights and optimizer moments needed to go on. */
export interface TextTrainingPosition extends TrainingPosition {
  /** Sum of the batch losses (nats) × characters of the epoch in progress, and those characters: its running mean. */
  epochLossSum: number;
  epochCharacters: number;
  /** Metrics of the finished epochs. */
  history: TextEpochMetrics[];
}

/**
 * `checkpoint.json`: what resuming needs beyond the weights. There is no random generator state
 * to save: every random choice (shuffle, dropout masks, epoch samples) derives from `seed` and the
 * epoch or step number (see `random.ts`).
 */
export interface TextCheckpointState extends CheckpointHeader {
  format: typeof TEXT_CHECKPOINT_FORMAT;
  formatVersion: typeof TEXT_CHECKPOINT_FORMAT_VERSION;
  params: TextGenParams;
  seed: number;
  vocabulary: string[];
  /** Identifies the text trained on: a resumed run must be given the same one. */
  corpus: CorpusFingerprint;
  position: TextTrainingPosition;
  /** Adam's step count and, per trainable variable (in `network.trainableWeights` order), its shape; the moments are in `optimizer.bin`. */
  optimizer: { step: number; shapes: number[][] };
  createdAt: string;
}

/** Length and FNV-1a hash of a text's UTF-16 code units. */
export type CorpusFingerprint = DataFingerprint;

export const fingerprintCorpus = fingerprintText;

/**
 * Writes a checkpoint: the model's own artifacts (`model.json`, `weights.bin`, `metadata.json`,
 * so `loadTextModel` reads a checkpoint as a model), `optimizer.bin` (Adam's first moments of every
 * variable, then the second moments, float32 little-endian) and `checkpoint.json`, written last: a
 * checkpoint without it is incomplete and is refused.
 */
export async function writeTextCheckpoint(io: ArtifactIO, parts: { state: TextCheckpointState; metadata: TextModelMetadata; network: tfl.LayersModel; optimizer: AdamState }): Promise<void> {
  await writeCheckpointFiles(io, {
    writeModel: () => writeTextModelArtifacts(io, parts.metadata, parts.network),
    slots: [...parts.optimizer.firstMoments, ...parts.optimizer.secondMoments],
    state: parts.state,
  });
}

/** A checkpoint read back; the caller owns the network. */
export interface LoadedTextCheckpoint {
  state: TextCheckpointState;
  metadata: TextModelMetadata;
  vocabulary: CharVocabulary;
  network: tfl.LayersModel;
  optimizer: AdamState;
}

/** Reads `checkpoint.json` alone: where a checkpoint stands, without loading weights. */
export async function readTextCheckpointState(io: ArtifactIO): Promise<TextCheckpointState> {
  return readCheckpointState<TextCheckpointState>(io, TEXT_CHECKPOINT_FORMAT, TEXT_CHECKPOINT_FORMAT_VERSION, ['params', 'position', 'optimizer', 'corpus', 'seed']);
}

/** Reads a whole checkpoint written by `writeTextCheckpoint`, checking that its parts agree. */
export async function readTextCheckpoint(io: ArtifactIO): Promise<LoadedTextCheckpoint> {
  const state = await readTextCheckpointState(io);
  const { metadata, vocabulary, network } = await readTextModelArtifacts(io);
  try {
    const shapes = network.trainableWeights.map((w) => w.shape as number[]);
    const sizes = shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
    const shapesAgree = state.optimizer.shapes.length === sizes.length && shapes.every((shape, i) => shape.join() === state.optimizer.shapes[i]?.join());
    if (!shapesAgree || state.vocabulary.join('') !== vocabulary.characters.join('')) {
      throw new ModelError('checkpoint.json does not describe the network stored beside it');
    }
    const moments = await readOptimizerSlots(io, [...sizes, ...sizes]);
    const optimizer = { step: state.optimizer.step, firstMoments: moments.slice(0, sizes.length), secondMoments: moments.slice(sizes.length) };
    return { state, metadata, vocabulary, network, optimizer };
  } catch (error) {
    network.dispose();
    throw error;
  }
}
