import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelConfigError, ModelError } from '../errors.ts';
import { EventLoopYielder } from '../event-loop.ts';
import type { ArtifactIO } from '../io.ts';
import { Type } from '@sinclair/typebox';
import { checkOption, replyDefaults, seq2seqPredictFields } from '@mlq/specs';
import type { Seq2SeqParams } from './config.ts';
import { readChatArtifacts, writeChatArtifacts, type ChatModelMetadata, type ChatModelMetrics } from './io.ts';
import { createInferenceLayers, disposeNetwork } from './model.ts';
import { ReplyDecoder, type DecodedReply } from './reply-decoder.ts';
import { detokenize, Tokenizer } from './tokenizer.ts';

/** Options of a greedy reply: the most likely word at each step. */
export interface GreedyReplyOptions {
  strategy?: 'greedy';
  /** Most tokens in the reply, 1–100. @defaultValue the model's `maxReplyLength` */
  maxLength?: number;
}

/** Options of a beam-search reply. */
export interface BeamReplyOptions {
  strategy: 'beam';
  /** Partial replies kept at each step, 1–10. @defaultValue 5 */
  beamWidth?: number;
  /** Replies returned, 1–`beamWidth`. @defaultValue `beamWidth` */
  n?: number;
  /** Most tokens in a reply, 1–100. @defaultValue the model's `maxReplyLength` */
  maxLength?: number;
  /**
   * Ranks finished replies by `logProb / (tokens + 1) ^ lengthPenalty`, 0–2. 0 ranks by
   * log-probability, which favours short replies; 0.6–1 (as in GNMT) evens that out.
   * @defaultValue 0
   */
  lengthPenalty?: number;
}

export type ReplyOptions = GreedyReplyOptions | BeamReplyOptions;

/** A reply to a message. */
export interface ChatReply {
  /** Readable text (lower case; see `detokenize`). */
  text: string;
  /** Its tokens: at least one, never a special token (`<unk>` included: the decoder may not pick it). */
  tokens: string[];
  /** Log-probability (natural log) of the tokens followed by `<end>`, given the message. */
  logProb: number;
  /** What beams are ranked by: `logProb`, length-normalised when `lengthPenalty` > 0. */
  score: number;
  /** Cut at `maxLength`: the model had not ended it. */
  truncated: boolean;
}

/**
 * A trained seq2seq chat model: message in, reply out. Made by `trainChatModel` or `loadChatModel`;
 * holds tfjs weights until `dispose()`.
 */
export class ChatModel {
  readonly tokenizer: Tokenizer;
  #network: tfl.LayersModel | null;
  readonly #decoder: ReplyDecoder;

  /** @internal Use `trainChatModel` or `loadChatModel`. Takes ownership of `network`. */
  constructor(
    readonly metadata: ChatModelMetadata,
    network: tfl.LayersModel,
    tokenizer: Tokenizer = Tokenizer.fromJSON(metadata.tokenizer),
  ) {
    this.#network = network;
    this.tokenizer = tokenizer;
    this.#decoder = new ReplyDecoder(createInferenceLayers(network));
  }

  get params(): Seq2SeqParams {
    return this.metadata.params;
  }

  get metrics(): ChatModelMetrics {
    return this.metadata.metrics;
  }

  /**
   * Replies to a message. Greedy gives one reply; beam search gives the `n` best, best first.
   * A message of unknown words only still gets a reply (the encoder reads `<unk>`s); a message
   * with no token at all (empty, blanks, control characters) throws `ModelError`. Bad options
   * throw `ModelConfigError` naming the option.
   */
  reply(message: string, options?: GreedyReplyOptions): ChatReply;
  reply(message: string, options: BeamReplyOptions): ChatReply[];
  reply(message: string, options: ReplyOptions = {}): ChatReply | ChatReply[] {
    const { inputIds, search, strategy } = this.#prepareReply(message, options);
    if (strategy === 'greedy') return this.#toReply(this.#decoder.greedy(inputIds, search.maxLength));
    return distinctByText(this.#decoder.beam(inputIds, search).map((reply) => this.#toReply(reply)));
  }

  /**
   * `reply`, returning to the event loop between decoder steps (a queue worker keeps renewing its
   * job lock during a long beam search); the same replies, always as a list (greedy: one).
   * `signal` is checked between steps; aborting rejects with `TrainingCancelledError`.
   */
  async replyAsync(message: string, options: ReplyOptions = {}, { signal }: { signal?: AbortSignal } = {}): Promise<ChatReply[]> {
    const { inputIds, search, strategy } = this.#prepareReply(message, options);
    const decoded = await this.#decoder.decode(inputIds, search, new EventLoopYielder(signal));
    this.#assertUsable();
    const replies = decoded.map((reply) => this.#toReply(reply));
    return strategy === 'greedy' ? replies : distinctByText(replies);
  }

  #prepareReply(message: string, options: ReplyOptions) {
    this.#assertUsable();
    const inputIds = this.#encodeMessage(message);
    const fields = seq2seqPredictFields;
    const maxLength = checkOption('maxLength', fields.maxLength, options.maxLength ?? this.params.maxReplyLength);
    const strategy = options.strategy ?? 'greedy';
    if (strategy === 'greedy') return { inputIds, strategy, search: { beamWidth: 1, n: 1, maxLength, lengthPenalty: 0 } };
    if (strategy !== 'beam') throw new ModelConfigError('strategy', `must be "greedy" or "beam", got ${String(strategy)}`);
    const beamOptions = options as BeamReplyOptions;
    const beamWidth = checkOption('beamWidth', fields.beamWidth, beamOptions.beamWidth ?? replyDefaults.beamWidth);
    const n = checkOption('n', Type.Integer({ minimum: fields.n.minimum, maximum: beamWidth }), beamOptions.n ?? beamWidth);
    const lengthPenalty = checkOption('lengthPenalty', fields.lengthPenalty, beamOptions.lengthPenalty ?? replyDefaults.lengthPenalty);
    return { inputIds, strategy, search: { beamWidth, n, maxLength, lengthPenalty } };
  }

  /** Bytes this model holds: float32 weights plus its metadata as JSON. For byte-bounded caches. */
  byteSize(): number {
    this.#assertUsable();
    return this.#network!.countParams() * 4 + JSON.stringify(this.metadata).length;
  }

  /** Writes `model.json`, `weights.bin` and `metadata.json` (tokenizer, params, metrics, format). */
  async save(io: ArtifactIO): Promise<void> {
    this.#assertUsable();
    await writeChatArtifacts(io, this.metadata, this.#network!);
  }

  /** Frees the weights. Idempotent; the model cannot reply or save afterwards. */
  dispose(): void {
    if (!this.#network) return;
    disposeNetwork(this.#network);
    this.#network = null;
  }

  #assertUsable(): void {
    if (!this.#network) throw new ModelError('this chat model was disposed');
  }

  #encodeMessage(message: string): number[] {
    if (typeof message !== 'string') throw new ModelError(`message must be a string, got ${typeof message}`);
    const ids = this.tokenizer.encodeInput(message);
    if (ids.length === 0) throw new ModelError('message is empty: it has no word, punctuation mark or emoji');
    return ids;
  }

  #toReply({ ids, logProb, score, truncated }: DecodedReply): ChatReply {
    const tokens = ids.map((id) => this.tokenizer.tokenOf(id));
    return { text: detokenize(tokens), tokens, logProb, score, truncated };
  }
}

/** Different token sequences can read the same (`3 . 5` and `3.5`): keep the first, the better. */
function distinctByText(replies: ChatReply[]): ChatReply[] {
  const seen = new Set<string>();
  return replies.filter((reply) => !seen.has(reply.text) && seen.add(reply.text));
}

/** Loads a model saved by `ChatModel.save`, in this process or another; checks its format and sizes. */
export async function loadChatModel(io: ArtifactIO): Promise<ChatModel> {
  const { metadata, tokenizer, network } = await readChatArtifacts(io);
  return new ChatModel(metadata, network, tokenizer);
}
