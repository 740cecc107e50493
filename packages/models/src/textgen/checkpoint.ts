import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { writeJson, type ArtifactIO } from '../io.ts';
import type { AdamState } from './adam.ts';
import type { TextGenParams } from './config.ts';
import { readArtifactJson, readTextModelArtifacts, writeTextModelArtifacts, type TextEpochMetrics, type TextModelMetadata } from './io.ts';
import type { CharVocabulary } from './vocabulary.ts';

export const TEXT_CHECKPOINT_FORMAT = 'mlq-textgen-checkpoint';
export const TEXT_CHECKPOINT_FORMAT_VERSION = 1;

/** Where a training run stands; everything besides weights and optimizer moments needed to go on. */
export interface TextTrainingPosition {
  /** Optimizer steps done. */
  step: number;
  /** 0-based epoch in progress (= epochs finished when `batchInEpoch` is 0). */
  epoch: number;
  /** Batches of `epoch` done. */
  batchInEpoch: number;
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
export interface TextCheckpointState {
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
export interface CorpusFingerprint {
  length: number;
  fnv1a: string;
}

export function fingerprintCorpus(text: string): CorpusFingerprint {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return { length: text.length, fnv1a: (hash >>> 0).toString(16).padStart(8, '0') };
}

/**
 * Writes a checkpoint: the model's own artifacts (`model.json`, `weights.bin`, `metadata.json`,
 * so `loadTextModel` reads a checkpoint as a model), `optimizer.bin` (Adam's first moments of every
 * variable, then the second moments, float32 little-endian) and `checkpoint.json`, written last: a
 * checkpoint without it is incomplete and is refused.
 */
export async function writeTextCheckpoint(
  io: ArtifactIO,
  parts: { state: TextCheckpointState; metadata: TextModelMetadata; network: tfl.LayersModel; optimizer: AdamState },
): Promise<void> {
  await writeTextModelArtifacts(io, parts.metadata, parts.network);
  const moments = [...parts.optimizer.firstMoments, ...parts.optimizer.secondMoments];
  const bytes = new Uint8Array(moments.reduce((sum, m) => sum + m.byteLength, 0));
  let offset = 0;
  for (const moment of moments) {
    bytes.set(new Uint8Array(moment.buffer, moment.byteOffset, moment.byteLength), offset);
    offset += moment.byteLength;
  }
  await io.write('optimizer.bin', bytes);
  await writeJson(io, 'checkpoint.json', parts.state);
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
  const state = (await readArtifactJson(io, 'checkpoint.json')) as Partial<TextCheckpointState> | null;
  if (state?.format !== TEXT_CHECKPOINT_FORMAT) throw new ModelError(`checkpoint.json is not a text training checkpoint (format ${String(state?.format)})`);
  if (state.formatVersion !== TEXT_CHECKPOINT_FORMAT_VERSION) {
    throw new ModelError(`text checkpoint format version ${String(state.formatVersion)} is not supported (this library reads ${TEXT_CHECKPOINT_FORMAT_VERSION})`);
  }
  if (!state.params || !state.position || !state.optimizer || !state.corpus || typeof state.seed !== 'number') {
    throw new ModelError('checkpoint.json lacks params, position, optimizer, corpus or seed');
  }
  return state as TextCheckpointState;
}

/** Reads a whole checkpoint written by `writeTextCheckpoint`, checking that its parts agree. */
export async function readTextCheckpoint(io: ArtifactIO): Promise<LoadedTextCheckpoint> {
  const state = await readTextCheckpointState(io);
  const { metadata, vocabulary, network } = await readTextModelArtifacts(io);
  try {
    const shapes = network.trainableWeights.map((w) => w.shape as number[]);
    const sizes = shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
    const shapesAgree =
      state.optimizer.shapes.length === sizes.length && shapes.every((shape, i) => shape.join() === state.optimizer.shapes[i]?.join());
    if (!shapesAgree || state.vocabulary.join('') !== vocabulary.characters.join('')) {
      throw new ModelError('checkpoint.json does not describe the network stored beside it');
    }
    const bytes = await io.read('optimizer.bin');
    const total = sizes.reduce((a, b) => a + b, 0);
    if (bytes.byteLength !== 2 * total * 4) throw new ModelError(`optimizer.bin has ${bytes.byteLength} bytes; the network's Adam moments take ${2 * total * 4}`);
    const floats = new Float32Array(bytes.slice().buffer);
    const moments: Float32Array[] = [];
    let offset = 0;
    for (const size of [...sizes, ...sizes]) {
      moments.push(floats.slice(offset, offset + size));
      offset += size;
    }
    const optimizer = { step: state.optimizer.step, firstMoments: moments.slice(0, sizes.length), secondMoments: moments.slice(sizes.length) };
    return { state, metadata, vocabulary, network, optimizer };
  } catch (error) {
    network.dispose();
    throw error;
  }
}
