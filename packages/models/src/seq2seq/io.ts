import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelError } from '../errors.ts';
import { loadLayersModel, readJson, saveLayersModel, writeJson, type ArtifactIO } from '../io.ts';
import { validateSeq2SeqParams, type Seq2SeqParams } from './config.ts';
import { createInferenceLayers, disposeNetwork, forgetInitialStateArgs, layerNames } from './model.ts';
import { Tokenizer, type TokenizerJSON } from './tokenizer.ts';
import type { EmbeddingCoverage } from './word-vectors.ts';

export const CHAT_MODEL_FORMAT = 'mlq-seq2seq-chat-model';
export const CHAT_MODEL_FORMAT_VERSION = 1;

/** Figures of the last training epoch. */
export interface ChatModelMetrics {
  /** Epochs trained. */
  epochs: number;
  /** Mean masked cross-entropy over the training tokens (nats per token). */
  loss: number;
  /** The same on the validation pairs; null without any. */
  valLoss: number | null;
  /** Teacher-forced share of training target tokens predicted right (`<end>` included; `<pad>`, `<unk>` excluded). */
  tokenAccuracy: number;
}

/** Everything about a chat model besides its weights; saved as `metadata.json`. */
export interface ChatModelMetadata {
  format: typeof CHAT_MODEL_FORMAT;
  formatVersion: typeof CHAT_MODEL_FORMAT_VERSION;
  params: Seq2SeqParams;
  tokenizer: TokenizerJSON;
  metrics: ChatModelMetrics;
  /** Coverage of the vocabulary by the pre-trained word vectors; null when none were given. */
  embeddingCoverage: EmbeddingCoverage | null;
  /** Pairs trained on, held out for validation, and skipped (a message or reply without any token). */
  pairs: { training: number; validation: number; skipped: number };
  /** Seed of the initial weights, the validation split and the batch order. */
  seed: number;
  /** tfjs backend that trained it. */
  backend: string;
  tfjsVersion: string;
  /** ISO 8601 time the training finished. */
  createdAt: string;
}

/** Writes tfjs' `model.json` + `weights.bin`, then `metadata.json` (last: a reader that finds it finds the rest). */
export async function writeChatArtifacts(io: ArtifactIO, metadata: ChatModelMetadata, network: tfl.LayersModel): Promise<void> {
  await saveLayersModel(network, io);
  await writeJson(io, 'metadata.json', metadata);
}

/** Reads and checks what `writeChatArtifacts` wrote; the caller owns the network (see `disposeNetwork`). */
export async function readChatArtifacts(io: ArtifactIO): Promise<{ metadata: ChatModelMetadata; tokenizer: Tokenizer; network: tfl.LayersModel }> {
  const metadata = checkMetadata(await readJson<unknown>(io, 'metadata.json'));
  const tokenizer = Tokenizer.fromJSON(metadata.tokenizer);
  const network = await loadLayersModel(io);
  try {
    forgetInitialStateArgs(network);
    checkNetwork(network, metadata.params, tokenizer);
  } catch (error) {
    disposeNetwork(network);
    throw error;
  }
  return { metadata, tokenizer, network };
}

function checkMetadata(value: unknown): ChatModelMetadata {
  const m = value as Partial<ChatModelMetadata> | null;
  if (m?.format !== CHAT_MODEL_FORMAT) throw new ModelError(`metadata.json is not a seq2seq chat model (format ${String(m?.format)})`);
  if (m.formatVersion !== CHAT_MODEL_FORMAT_VERSION) {
    throw new ModelError(`seq2seq chat model format version ${String(m.formatVersion)} is not supported (this library reads ${CHAT_MODEL_FORMAT_VERSION})`);
  }
  if (!m.tokenizer || !m.params || !m.metrics) throw new ModelError('metadata.json of a seq2seq chat model lacks its tokenizer, params or metrics');
  validateSeq2SeqParams(m.params);
  return m as ChatModelMetadata;
}

/** The network must match the stored vocabulary and sizes, or replies would be garbage. */
function checkNetwork(network: tfl.LayersModel, params: Seq2SeqParams, tokenizer: Tokenizer): void {
  const { units, vocabularySize } = createInferenceLayers(network);
  const embeddingSize = (network.getLayer(layerNames.embedding).getConfig() as { outputDim: number }).outputDim;
  if (vocabularySize !== tokenizer.size) throw new ModelError(`model.json has ${vocabularySize} output tokens but the tokenizer has ${tokenizer.size}`);
  if (units !== params.units || embeddingSize !== params.embeddingSize) {
    throw new ModelError(`model.json has ${units} units and embedding ${embeddingSize}; metadata.json says ${params.units} and ${params.embeddingSize}`);
  }
}
