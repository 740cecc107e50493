import type * as tfl from '@tensorflow/tfjs-layers';
import type { ArtifactIO } from '../io.ts';
import type { AdamState } from '../checkpoint/adam.ts';
import { readCheckpointState, readOptimizerSlots, writeCheckpointFiles, type CheckpointHeader, type DataFingerprint, type TrainingPosition } from '../checkpoint/files.ts';
import type { Seq2SeqParams } from './config.ts';
import { readChatArtifacts, writeChatArtifacts, type ChatModelMetadata } from './io.ts';
import { disposeNetwork } from './model.ts';
import type { Tokenizer, TokenizerJSON } from './tokenizer.ts';

export const CHAT_CHECKPOINT_FORMAT = 'mlq-seq2seq-checkpoint';
export const CHAT_CHECKPOINT_FORMAT_VERSION = 1;

/** Figures of one finished epoch (without the probe replies). */
export interface ChatEpochMetrics {
  /** 1-based. */
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number | null;
  tokenAccuracy: number;
}

/** Where a chat training stands. */
export interface ChatTrainingPosition extends TrainingPosition {
  /** Running sums of the epoch in progress: loss × tokens, right tokens, tokens. */
  epochLossSum: number;
  epochCorrect: number;
  epochTokens: number;
  /** Metrics of the finished epochs. */
  history: ChatEpochMetrics[];
}

/**
 * `checkpoint.json` of a seq2seq training. The validation split, the vocabulary and the initial
 * embedding derive from `seed` and the pairs, and each epoch's order from `seed` and the epoch, so
 * a resumed run rebuilds them and checks the tokenizer against the stored one. Dropout masks are
 * tfjs' own (not seeded): with dropout a resumed run reaches an equivalent model, not the same bits.
 */
export interface ChatCheckpointState extends CheckpointHeader {
  format: typeof CHAT_CHECKPOINT_FORMAT;
  formatVersion: typeof CHAT_CHECKPOINT_FORMAT_VERSION;
  params: Seq2SeqParams;
  seed: number;
  tokenizer: TokenizerJSON;
  /** The pairs trained on (JSON of their inputs and replies): a resumed run must be given the same. */
  pairs: DataFingerprint;
  position: ChatTrainingPosition;
  /** Adam's step count and, per trainable variable, its shape; the moments are in `optimizer.bin`. */
  optimizer: { step: number; shapes: number[][] };
}

/** Writes the chat model's artifacts (a checkpoint loads as a model), `optimizer.bin` and `checkpoint.json` (last). */
export async function writeChatCheckpoint(io: ArtifactIO, parts: { state: ChatCheckpointState; metadata: ChatModelMetadata; network: tfl.LayersModel; optimizer: AdamState }): Promise<void> {
  await writeCheckpointFiles(io, {
    writeModel: () => writeChatArtifacts(io, parts.metadata, parts.network),
    slots: [...parts.optimizer.firstMoments, ...parts.optimizer.secondMoments],
    state: parts.state,
  });
}

/** Reads a chat checkpoint; the caller owns the network (see `disposeNetwork`). */
export async function readChatCheckpoint(io: ArtifactIO): Promise<{ state: ChatCheckpointState; tokenizer: Tokenizer; network: tfl.LayersModel; optimizer: AdamState }> {
  const state = await readCheckpointState<ChatCheckpointState>(io, CHAT_CHECKPOINT_FORMAT, CHAT_CHECKPOINT_FORMAT_VERSION, ['params', 'seed', 'tokenizer', 'pairs', 'optimizer']);
  const { tokenizer, network } = await readChatArtifacts(io);
  try {
    const sizes = state.optimizer.shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
    const moments = await readOptimizerSlots(io, [...sizes, ...sizes]);
    return { state, tokenizer, network, optimizer: { step: state.optimizer.step, firstMoments: moments.slice(0, sizes.length), secondMoments: moments.slice(sizes.length) } };
  } catch (error) {
    disposeNetwork(network);
    throw error;
  }
}
