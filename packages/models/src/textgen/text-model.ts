import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import type { ArtifactIO } from '../io.ts';
import type { TextGenParams } from './config.ts';
import { generateText, type GenerateTextOptions } from './generate.ts';
import { readTextModelArtifacts, writeTextModelArtifacts, type TextModelMetadata, type TextModelMetrics } from './io.ts';
import { readNetworkWeights, type TextNetworkWeights } from './network.ts';
import { CharVocabulary } from './vocabulary.ts';

/**
 * A trained character-level text generator: generate, save, dispose. Made by `trainTextModel` or
 * `loadTextModel` (which also reads checkpoints); holds tfjs weights until `dispose()`.
 */
export class TextModel {
  #network: tfl.LayersModel | null;
  readonly #weights: TextNetworkWeights;
  readonly vocabulary: CharVocabulary;

  /** @internal Use `trainTextModel` or `loadTextModel`. Takes ownership of `network`. */
  constructor(
    readonly metadata: TextModelMetadata,
    network: tfl.LayersModel,
  ) {
    this.vocabulary = new CharVocabulary(metadata.vocabulary);
    this.#weights = readNetworkWeights(network, metadata.params.cell, this.vocabulary.size);
    this.#network = network;
  }

  get params(): TextGenParams {
    return this.metadata.params;
  }

  get metrics(): TextModelMetrics {
    return this.metadata.metrics;
  }

  /**
   * Writes text after `seedText`, sampling each character from the network's prediction given
   * everything before it. The network reads one character per step and keeps its recurrent
   * state, so each generated character costs one step, not a pass over a window. Rejects with
   * `ModelConfigError` naming a bad option.
   */
  async generate(options: GenerateTextOptions): Promise<string> {
    this.#assertUsable();
    return generateText(this.#weights, this.vocabulary, options, () => this.#network === null);
  }

  /** Bytes of the weights as float32 plus the metadata as JSON, for byte-bounded caches. */
  byteSize(): number {
    this.#assertUsable();
    return this.#network!.countParams() * 4 + JSON.stringify(this.metadata).length;
  }

  /** Writes `model.json`, `weights.bin` and `metadata.json`. */
  async save(io: ArtifactIO): Promise<void> {
    this.#assertUsable();
    await writeTextModelArtifacts(io, this.metadata, this.#network!);
  }

  /** Frees the weights. Idempotent; the model cannot generate or save afterwards. */
  dispose(): void {
    this.#network?.dispose();
    this.#network = null;
  }

  #assertUsable(): void {
    if (!this.#network) throw new ModelError('this text model was disposed');
  }
}

/** Loads a model saved by `TextModel.save`, or the model of a training checkpoint. */
export async function loadTextModel(io: ArtifactIO): Promise<TextModel> {
  const { metadata, network } = await readTextModelArtifacts(io);
  return new TextModel(metadata, network);
}
