import * as tf from '@tensorflow/tfjs-core';
import type { EventLoopYielder } from '../event-loop.ts';
import type { InferenceLayers } from './model.ts';
import { END_ID, PAD_ID, START_ID, UNK_ID } from './tokenizer.ts';

/**
 * A decoded reply as token ids (no `<end>`), at least one. `logProb` is the log-probability of the
 * ids followed by `<end>`, summed over the decoder steps, with `<pad>`, `<start>` and `<unk>`
 * excluded from every step's distribution and `<end>` from the first (renormalised without them):
 * every training reply has a token, and an empty reply is no answer.
 */
export interface DecodedReply {
  ids: number[];
  logProb: number;
  /** Ranking score: `logProb / (ids.length + 1) ^ lengthPenalty`; equals `logProb` with no penalty. */
  score: number;
  /** The length limit forced its `<end>`: the model had not chosen to stop. */
  truncated: boolean;
}

export interface BeamSearchOptions {
  beamWidth: number;
  /** Replies returned, at most `beamWidth`. */
  n: number;
  /** Most tokens in a reply. */
  maxLength: number;
  /** Exponent of the length normalisation; 0 ranks by raw log-probability, which favours short replies. */
  lengthPenalty: number;
}

/** Tokens a reply may never hold. `<end>` is not one: it closes the reply. */
const forbiddenIds = [PAD_ID, START_ID, UNK_ID];

/** Log-softmax of one row of logits over the allowed tokens (`allowed[v] === 1`); the others get -Infinity. */
function allowedLogProbs(logits: Float32Array, offset: number, allowed: Uint8Array): Float64Array {
  const logProbs = new Float64Array(allowed.length).fill(-Infinity);
  let max = -Infinity;
  for (let v = 0; v < allowed.length; v++) if (allowed[v]) max = Math.max(max, logits[offset + v]!);
  let sum = 0;
  for (let v = 0; v < allowed.length; v++) if (allowed[v]) sum += Math.exp(logits[offset + v]! - max);
  const logSum = max + Math.log(sum);
  for (let v = 0; v < allowed.length; v++) if (allowed[v]) logProbs[v] = logits[offset + v]! - logSum;
  return logProbs;
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
function topIndices(values: Float64Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if (values[i] === -Infinity) continue;
    if (top.length === k && values[i]! <= values[top[k - 1]!]!) continue;
    let at = top.length;
    while (at > 0 && values[i]! > values[top[at - 1]!]!) at--;
    top.splice(at, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

const scoreOf = (logProb: number, length: number, lengthPenalty: number) => (lengthPenalty === 0 ? logProb : logProb / Math.pow(length + 1, lengthPenalty));

interface Beam {
  ids: number[];
  logProb: number;
}

/**
 * Greedy and beam-search decoding with the encoder and the one-step decoder. All beams of a step
 * run as one batch; each step's logits are read back once (`[beams, vocabularySize]`) and the
 * search itself runs in plain JS. Every tensor is disposed before a method returns.
 */
export class ReplyDecoder {
  readonly #allowed: Uint8Array;
  readonly #allowedFirst: Uint8Array;

  constructor(private readonly layers: InferenceLayers) {
    this.#allowed = new Uint8Array(layers.vocabularySize).fill(1);
    for (const id of forbiddenIds) this.#allowed[id] = 0;
    this.#allowedFirst = this.#allowed.slice();
    this.#allowedFirst[END_ID] = 0;
  }

  /** The most likely token at each step, until `<end>` or `maxLength` tokens (then `<end>` is forced). */
  greedy(inputIds: readonly number[], maxLength: number): DecodedReply {
    const [beam] = this.search(inputIds, { beamWidth: 1, n: 1, maxLength, lengthPenalty: 0 });
    return beam!;
  }

  /**
   * `greedy` or `beam` (`beamWidth` 1 is greedy), returning to the event loop between decoder steps
   * when `yielder` says so; the same replies.
   */
  async decode(inputIds: readonly number[], options: BeamSearchOptions, yielder: EventLoopYielder): Promise<DecodedReply[]> {
    const steps = this.searchSteps(inputIds, options);
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
      try {
        await yielder.maybeYield();
      } catch (error) {
        steps.return([]); // runs the search's finally: its state tensors are freed
        throw error;
      }
    }
  }

  /**
   * Beam search: keeps the `beamWidth` best partial replies at each step (scored by raw
   * log-probability); a reply closed by `<end>` among the step's `beamWidth` best candidates is
   * finished. Stops when no partial reply can still beat the n-th best finished one, or at
   * `maxLength` tokens, where `<end>` closes every partial reply. Returns up to `n` distinct
   * replies, best `score` first.
   */
  beam(inputIds: readonly number[], options: BeamSearchOptions): DecodedReply[] {
    return this.search(inputIds, options);
  }

  private search(inputIds: readonly number[], options: BeamSearchOptions): DecodedReply[] {
    const steps = this.searchSteps(inputIds, options);
    for (;;) {
      const next = steps.next();
      if (next.done) return next.value;
    }
  }

  /** The search, pausing after each decoder step. */
  private *searchSteps(inputIds: readonly number[], { beamWidth, n, maxLength, lengthPenalty }: BeamSearchOptions): Generator<void, DecodedReply[], void> {
    const { vocabularySize } = this.layers;
    const finished: DecodedReply[] = [];
    const finish = (beam: Beam, endLogProb: number, truncated: boolean) => {
      const logProb = beam.logProb + endLogProb;
      finished.push({ ids: beam.ids, logProb, score: scoreOf(logProb, beam.ids.length, lengthPenalty), truncated });
    };
    let beams: Beam[] = [{ ids: [], logProb: 0 }];
    let parents = [0];
    let state = tf.tidy(() => this.layers.encode(tf.tensor2d([...inputIds], [1, inputIds.length], 'int32')));
    try {
      for (let step = 0; step <= maxLength && beams.length > 0; step++) {
        const tokens = beams.map((beam) => beam.ids.at(-1) ?? START_ID);
        const next = tf.tidy(() => {
          const rows = tf.tensor1d(parents, 'int32');
          return this.layers.step(tf.tensor2d(tokens, [tokens.length, 1], 'int32'), tf.gather(state[0], rows), tf.gather(state[1], rows));
        });
        tf.dispose(state);
        state = [next.h, next.c];
        const logits = next.logits.dataSync() as Float32Array;
        next.logits.dispose();
        const logProbs = beams.map((_, row) => allowedLogProbs(logits, row * vocabularySize, step === 0 ? this.#allowedFirst : this.#allowed));

        if (step === maxLength) {
          beams.forEach((beam, row) => finish(beam, logProbs[row]![END_ID]!, true));
          break;
        }
        const candidates = beams
          .flatMap((beam, row) => topIndices(logProbs[row]!, beamWidth + 1).map((token) => ({ row, token, logProb: beam.logProb + logProbs[row]![token]! })))
          .sort((a, b) => b.logProb - a.logProb);
        const survivors: Beam[] = [];
        parents = [];
        for (const [rank, candidate] of candidates.entries()) {
          if (survivors.length === beamWidth) break;
          const beam = beams[candidate.row]!;
          if (candidate.token === END_ID) {
            if (rank < beamWidth) finish(beam, logProbs[candidate.row]![END_ID]!, false);
          } else {
            survivors.push({ ids: [...beam.ids, candidate.token], logProb: candidate.logProb });
            parents.push(candidate.row);
          }
        }
        beams = survivors;
        if (this.cannotImprove(finished, beams, n, maxLength, lengthPenalty)) break;
        yield;
      }
    } finally {
      tf.dispose(state);
    }
    return finished.sort((a, b) => b.score - a.score).slice(0, n);
  }

  /**
   * Whether the search may stop: n replies are finished and no partial reply can reach the n-th
   * best score. A log-probability only falls as tokens are added, so a partial reply's best
   * final score is its log-probability over the longest normalisation `(maxLength + 1) ^ penalty`.
   */
  private cannotImprove(finished: readonly DecodedReply[], beams: readonly Beam[], n: number, maxLength: number, lengthPenalty: number): boolean {
    if (beams.length === 0) return true;
    if (finished.length < n) return false;
    const nthBest = [...finished].sort((a, b) => b.score - a.score)[n - 1]!.score;
    const bestPossible = Math.max(...beams.map((beam) => beam.logProb)) / Math.pow(maxLength + 1, lengthPenalty);
    return bestPossible <= nthBest;
  }
}
