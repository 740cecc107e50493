import { ModelConfigError } from '../errors.ts';
import { tokenize } from './tokenizer.ts';

/** Hyperparameters of the seq2seq chat model. */
export interface Seq2SeqParams {
  /** Width of the word embedding shared by encoder and decoder; equals the word vectors' dimension when they are given. */
  embeddingSize: number;
  /** Units of the encoder LSTM and of the decoder LSTM (the decoder starts from the encoder's final state). */
  units: number;
  /** Vocabulary size, the 4 special tokens included; the rest are the most frequent training words. */
  maxVocabulary: number;
  /** Tokens of a message the encoder reads; longer messages keep their last tokens. */
  maxInputLength: number;
  /** Tokens of a reply the decoder is trained on and generates (`<end>` not counted); longer replies keep their first tokens. */
  maxReplyLength: number;
  /** Dropout rate on the decoder LSTM's outputs, during training only. */
  dropout: number;
  /** Pairs per gradient step. */
  batchSize: number;
  /** Passes over the training pairs. */
  epochs: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Share of the pairs (a seeded random choice) held out for the validation loss; never trained on. */
  validationSplit: number;
  /** Keep the embedding fixed at the given word vectors (needs `wordVectors`). */
  freezeEmbeddings: boolean;
  /** Messages replied to (greedily) after every epoch, to watch the model learn. */
  probes: string[];
}

/**
 * Sized for a 2-core CPU on the wasm backend: with a full 4 000-word vocabulary, pairs of 2–13
 * words train at 30–70 pairs/s there (an epoch of 5 000 pairs in 70–170 s) and a greedy reply of
 * about ten tokens takes 10–100 ms (`npm run bench`, section seq2seq). The output layer
 * (`units × maxVocabulary`) dominates both.
 */
export const seq2seqDefaults: Readonly<Seq2SeqParams> = {
  embeddingSize: 64,
  units: 128,
  maxVocabulary: 4000,
  maxInputLength: 20,
  maxReplyLength: 20,
  dropout: 0.1,
  batchSize: 32,
  epochs: 20,
  learningRate: 0.002,
  validationSplit: 0.1,
  freezeEmbeddings: false,
  probes: ['hi', 'how are you?', 'what are you doing tonight?'],
};

/** Inclusive bounds of a numeric parameter (`min` exclusive when `exclusiveMin`). */
export type Seq2SeqBound = { min: number; max: number; integer: boolean; exclusiveMin?: boolean };

type NumericParam = Exclude<keyof Seq2SeqParams, 'freezeEmbeddings' | 'probes'>;

/** Bounds of every numeric parameter. */
export const seq2seqBounds: Readonly<Record<NumericParam, Seq2SeqBound>> = {
  embeddingSize: { min: 1, max: 1024, integer: true },
  units: { min: 1, max: 1024, integer: true },
  maxVocabulary: { min: 5, max: 50_000, integer: true },
  maxInputLength: { min: 1, max: 100, integer: true },
  maxReplyLength: { min: 1, max: 100, integer: true },
  dropout: { min: 0, max: 0.9, integer: false },
  batchSize: { min: 1, max: 1024, integer: true },
  epochs: { min: 1, max: 1000, integer: true },
  learningRate: { min: 0, max: 1, integer: false, exclusiveMin: true },
  validationSplit: { min: 0, max: 0.5, integer: false },
};

/** At most this many probe phrases, each at most `maxLength` characters. */
export const probeBounds = { maxCount: 10, maxLength: 200 } as const;

/** Bounds of `ChatModel.reply` options; `n` is also capped by `beamWidth`, `maxLength` by `maxReplyLength`'s bound. */
export const replyBounds: Readonly<Record<'beamWidth' | 'n' | 'maxLength' | 'lengthPenalty', Seq2SeqBound>> = {
  beamWidth: { min: 1, max: 10, integer: true },
  n: { min: 1, max: 10, integer: true },
  maxLength: { min: 1, max: seq2seqBounds.maxReplyLength.max, integer: true },
  lengthPenalty: { min: 0, max: 2, integer: false },
};

/** Throws `ModelConfigError` naming `field` unless `value` is a finite number within `bound`. */
export function checkBound(field: string, value: unknown, bound: Seq2SeqBound): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ModelConfigError(field, `must be a finite number, got ${String(value)}`);
  if (bound.integer && !Number.isInteger(value)) throw new ModelConfigError(field, `must be an integer, got ${value}`);
  if (bound.exclusiveMin ? value <= bound.min : value < bound.min) {
    throw new ModelConfigError(field, `must be ${bound.exclusiveMin ? '>' : '>='} ${bound.min}, got ${value}`);
  }
  if (value > bound.max) throw new ModelConfigError(field, `must be <= ${bound.max}, got ${value}`);
  return value;
}

function checkProbes(probes: unknown): string[] {
  if (!Array.isArray(probes)) throw new ModelConfigError('probes', `must be an array of strings, got ${typeof probes}`);
  if (probes.length > probeBounds.maxCount) throw new ModelConfigError('probes', `must hold at most ${probeBounds.maxCount} phrases, got ${probes.length}`);
  probes.forEach((probe: unknown, i) => {
    if (typeof probe !== 'string') throw new ModelConfigError(`probes[${i}]`, `must be a string, got ${typeof probe}`);
    if (probe.length > probeBounds.maxLength) throw new ModelConfigError(`probes[${i}]`, `must be at most ${probeBounds.maxLength} characters, got ${probe.length}`);
    if (tokenize(probe).length === 0) throw new ModelConfigError(`probes[${i}]`, 'has no words, punctuation or emoji');
  });
  return [...(probes as string[])];
}

/**
 * Fills defaults and checks every field; throws `ModelConfigError` naming the field and the bound
 * (`units must be <= 1024, got 2000`). Unknown fields are errors too.
 */
export function validateSeq2SeqParams(params: Partial<Seq2SeqParams> = {}): Seq2SeqParams {
  for (const key of Object.keys(params)) {
    if (!(key in seq2seqDefaults)) throw new ModelConfigError(key, `is not a seq2seq parameter (known: ${Object.keys(seq2seqDefaults).join(', ')})`);
  }
  const given = Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined));
  const resolved = { ...seq2seqDefaults, ...given } as Seq2SeqParams;
  for (const [field, bound] of Object.entries(seq2seqBounds)) checkBound(field, resolved[field as NumericParam], bound);
  if (typeof resolved.freezeEmbeddings !== 'boolean') throw new ModelConfigError('freezeEmbeddings', `must be a boolean, got ${typeof resolved.freezeEmbeddings}`);
  return { ...resolved, probes: checkProbes(resolved.probes) };
}
