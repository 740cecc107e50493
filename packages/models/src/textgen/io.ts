import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { loadLayersModel, readJson, saveLayersModel, writeJson, type ArtifactIO } from '../io.ts';
import { validateTextGenParams, type TextGenParams } from './config.ts';
import { readNetworkWeights } from './network.ts';
import { CharVocabulary } from './vocabulary.ts';

export const TEXT_MODEL_FORMAT = 'mlq-textgen-model';
export const TEXT_MODEL_FORMAT_VERSION = 1;

/** Losses of one finished epoch; losses in nats per character. */
export interface TextEpochMetrics {
  /** 1-based. */
  epoch: number;
  /** Optimizer steps done when the epoch ended. */
  step: number;
  /** Mean training loss over the epoch's windows (with dropout, as trained). */
  loss: number;
  /** Loss on the validation part; null when `validationSplit` is 0. */
  valLoss: number | null;
  bitsPerChar: number;
  valBitsPerChar: number | null;
}

/** How well the model predicts the next character. */
export interface TextModelMetrics {
  /** The last finished epoch's training loss (nats/char); null before any epoch ended (an early checkpoint). */
  loss: number | null;
  valLoss: number | null;
  bitsPerChar: number | null;
  valBitsPerChar: number | null;
  /** Unigram entropy of the training part (bits/char): the score of a model that ignores context. */
  unigramBitsPerChar: number;
  /** Epochs finished. */
  epochs: number;
  /** Optimizer steps done. */
  steps: number;
  history: TextEpochMetrics[];
}

/** Everything about a text model besides its weights; saved as `metadata.json`. */
export interface TextModelMetadata {
  format: typeof TEXT_MODEL_FORMAT;
  formatVersion: typeof TEXT_MODEL_FORMAT_VERSION;
  /** The characters, in index order: input one-hot positions and output logits. */
  vocabulary: string[];
  params: TextGenParams;
  /** The training run's seed. */
  seed: number;
  metrics: TextModelMetrics;
  /** Characters (code points) in the corpus, validation part included. */
  corpusCharacters: number;
  /** tfjs backend that trained it. */
  backend: string;
  /** `@tensorflow/tfjs-core` version that trained it. */
  tfjsVersion: string;
  /** ISO 8601 time of writing. */
  createdAt: string;
}

/**
 * Writes `model.json` + `weights.bin` (tfjs layers format) then `metadata.json`, last, so a
 * reader that finds the metadata finds the weights too.
 */
export async function writeTextModelArtifacts(io: ArtifactIO, metadata: TextModelMetadata, network: tfl.LayersModel): Promise<void> {
  await saveLayersModel(network, io);
  await writeJson(io, 'metadata.json', metadata);
}

/** Reads what `writeTextModelArtifacts` wrote, checking format, vocabulary, params and network shapes. The caller owns the network. */
export async function readTextModelArtifacts(io: ArtifactIO): Promise<{ metadata: TextModelMetadata; vocabulary: CharVocabulary; network: tfl.LayersModel }> {
  const metadata = checkTextModelMetadata(await readArtifactJson(io, 'metadata.json'));
  const vocabulary = new CharVocabulary(metadata.vocabulary);
  const network = await loadLayersModel(io).catch((error: unknown) => {
    throw new ModelError(`model.json or weights.bin of a text model cannot be loaded: ${(error as Error).message}`);
  });
  try {
    readNetworkWeights(network, metadata.params.cell, vocabulary.size);
    if (network.layers.length !== metadata.params.layers + 1) throw new ModelError(`text network has ${network.layers.length - 1} recurrent layers; metadata says ${metadata.params.layers}`);
  } catch (error) {
    network.dispose();
    throw error;
  }
  return { metadata, vocabulary, network };
}

/** Reads a JSON artifact, naming it when it is missing or not JSON. */
export async function readArtifactJson(io: ArtifactIO, name: string): Promise<unknown> {
  try {
    return await readJson<unknown>(io, name);
  } catch (error) {
    throw new ModelError(`${name} cannot be read: ${(error as Error).message}`);
  }
}

/** Checks what a `metadata.json` claims to be; throws `ModelError` saying what is wrong. */
export function checkTextModelMetadata(value: unknown): TextModelMetadata {
  const m = value as Partial<TextModelMetadata> | null;
  if (m?.format !== TEXT_MODEL_FORMAT) throw new ModelError(`metadata.json is not a text model (format ${String(m?.format)}, expected ${TEXT_MODEL_FORMAT})`);
  if (m.formatVersion !== TEXT_MODEL_FORMAT_VERSION) {
    throw new ModelError(`text model format version ${String(m.formatVersion)} is not supported (this library reads ${TEXT_MODEL_FORMAT_VERSION})`);
  }
  if (!Array.isArray(m.vocabulary) || m.vocabulary.length === 0) throw new ModelError('metadata.json of a text model lacks its vocabulary');
  if (!m.params || !m.metrics || typeof m.seed !== 'number') throw new ModelError('metadata.json of a text model lacks params, metrics or seed');
  try {
    validateTextGenParams(m.params);
  } catch (error) {
    throw new ModelError(`metadata.json of a text model has bad params: ${(error as Error).message}`);
  }
  return m as TextModelMetadata;
}
