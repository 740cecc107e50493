import { Type, type Static } from '@sinclair/typebox';
import { CheckpointProgressFields, Id, ModelNameSchema, ResumedFromFields, SeedSchema } from '../schema-parts.ts';
import { resolveParams } from '../params.ts';
import { assemble, definedOnly, FLOAT, recurrentLayerBytes, recurrentWeights, usableThreads, VALUES_PER_LOGIT, type MemoryEstimate } from '../memory.ts';

/**
 * The seq2seq chat model: params, payloads, results and progress, reply options. The API
 * validates with these schemas; the model library resolves its params with
 * `resolveSeq2SeqParams`, so the two cannot disagree.
 */

/** Hyperparameters of the seq2seq chat model, resolved. */
export interface Seq2SeqSettings {
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
export const seq2seqDefaults: Readonly<Seq2SeqSettings> = {
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

/** Tokens the vocabulary holds besides words: `<pad>`, `<unk>`, `<start>`, `<end>`. */
export const SEQ2SEQ_SPECIAL_TOKENS = 4;

/** Reply defaults: beams kept per step, and the length penalty of beam ranking. */
export const replyDefaults = { beamWidth: 5, lengthPenalty: 0 } as const;

const d = seq2seqDefaults;

export const Seq2SeqParamsSchema = Type.Partial(
  Type.Object({
    embeddingSize: Type.Integer({ minimum: 1, maximum: 1024, description: `Word embedding width; must equal the word vectors' dimension when given. Default ${d.embeddingSize}` }),
    units: Type.Integer({ minimum: 1, maximum: 1024, description: `Units of the encoder and decoder LSTMs. Default ${d.units}` }),
    maxVocabulary: Type.Integer({ minimum: 5, maximum: 50_000, description: `Vocabulary size, the 4 special tokens included. Default ${d.maxVocabulary}` }),
    maxInputLength: Type.Integer({ minimum: 1, maximum: 100, description: `Tokens of a message the encoder reads (its last ones). Default ${d.maxInputLength}` }),
    maxReplyLength: Type.Integer({ minimum: 1, maximum: 100, description: `Tokens of a reply trained on and generated. Default ${d.maxReplyLength}` }),
    dropout: Type.Number({ minimum: 0, maximum: 0.9, description: `Dropout on the decoder's outputs while training. Default ${d.dropout}` }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, description: `Pairs per step. Default ${d.batchSize}` }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: `Passes over the pairs. Default ${d.epochs}` }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: `Adam learning rate. Default ${d.learningRate}` }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: `Share of pairs held out for the validation loss. Default ${d.validationSplit}` }),
    freezeEmbeddings: Type.Boolean({ description: `Keep the embedding fixed at the word vectors (needs \`wordVectors\`). Default ${d.freezeEmbeddings}` }),
    probes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 10,
      description: `Messages replied to after every epoch, shown in progress. Default ${JSON.stringify(d.probes).replaceAll(',', ', ')}`,
    }),
  }),
  { additionalProperties: false, description: 'Hyperparameters; omitted ones take the defaults' },
);
export type Seq2SeqParams = Static<typeof Seq2SeqParamsSchema>;

export const Seq2SeqTrainPayloadSchema = Type.Object(
  {
    kind: Type.Literal('seq2seq', { description: 'Model family: seq2seq chat model' }),
    dataset: Id('Conversation pairs dataset id: `tinyshakespeare-dialogue`, an uploaded Messenger export, or uploaded JSON/CSV pairs'),
    wordVectors: Type.Optional(Id('Uploaded word vectors (GloVe/word2vec text) that initialise the embedding')),
    name: Type.Optional(ModelNameSchema('`<dataset>-seq2seq`')),
    params: Type.Optional(Seq2SeqParamsSchema),
    seed: Type.Optional(SeedSchema),
  },
  { additionalProperties: false },
);
export type Seq2SeqTrainPayload = Static<typeof Seq2SeqTrainPayloadSchema>;

export const Seq2SeqTrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('seq2seq'),
  architecture: Type.Literal('lstm-encoder-decoder'),
  metrics: Type.Object(
    {
      loss: Type.Number({ description: 'Masked cross-entropy, nats per token' }),
      valLoss: Type.Union([Type.Number(), Type.Null()]),
      tokenAccuracy: Type.Number({ description: 'Teacher-forced share of training tokens predicted right' }),
    },
    { additionalProperties: true },
  ),
  pairs: Type.Object({ training: Type.Integer(), validation: Type.Integer(), skipped: Type.Integer() }),
  vocabularySize: Type.Integer(),
  embeddingCoverage: Type.Union([Type.Unknown(), Type.Null()], { description: 'Share of the vocabulary the word vectors covered; null without them' }),
  probes: Type.Array(Type.Object({ input: Type.String(), reply: Type.String() }), { description: 'Replies to the probes after the last epoch' }),
  epochs: Type.Integer(),
  durationMs: Type.Number(),
  backend: Type.String(),
  ...ResumedFromFields,
});
export type Seq2SeqTrainResult = Static<typeof Seq2SeqTrainResultSchema>;

export const Seq2SeqProgressSchema = Type.Object({
  kind: Type.Literal('seq2seq'),
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  loss: Type.Number(),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  tokenAccuracy: Type.Number(),
  probes: Type.Array(Type.Object({ input: Type.String(), reply: Type.String() })),
  etaMs: Type.Optional(Type.Number()),
  ...CheckpointProgressFields,
});
export type Seq2SeqProgress = Static<typeof Seq2SeqProgressSchema>;

/** The fields of `POST /v1/predict` a seq2seq model takes. */
export const seq2seqPredictFields = {
  message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'seq2seq (required): the message to reply to (not blank)' })),
  strategy: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('beam')], { description: 'seq2seq: decoding. Default greedy' })),
  beamWidth: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: `seq2seq beam: partial replies kept per step. Default ${replyDefaults.beamWidth}` })),
  n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'seq2seq beam: replies returned, at most beamWidth. Default beamWidth' })),
  maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "seq2seq: most tokens in a reply. Default the model's maxReplyLength" })),
  lengthPenalty: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: `seq2seq beam: rank by logProb / (tokens + 1)^lengthPenalty. Default ${replyDefaults.lengthPenalty}` })),
};

export const ChatReplySchema = Type.Object({
  text: Type.String(),
  tokens: Type.Array(Type.String()),
  logProb: Type.Number({ description: 'Natural log-probability of the tokens and `<end>`' }),
  score: Type.Number({ description: 'What beams are ranked by' }),
  truncated: Type.Boolean({ description: 'Cut at maxLength before the model ended it' }),
});

export const Seq2SeqPredictResultSchema = Type.Object({
  kind: Type.Literal('seq2seq'),
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  message: Type.String(),
  strategy: Type.Union([Type.Literal('greedy'), Type.Literal('beam')]),
  reply: Type.String({ description: "The best reply's text" }),
  replies: Type.Array(ChatReplySchema, { description: 'Greedy: one; beam: the n best, best first' }),
  unknownWords: Type.Array(Type.String(), { description: "Words of the message outside the model's vocabulary (read as <unk>)" }),
  cached: Type.Boolean(),
  backend: Type.String(),
});
export type Seq2SeqPredictResult = Static<typeof Seq2SeqPredictResultSchema>;

/**
 * Fills defaults and checks every field against the schema; throws `ModelConfigError` naming the field
 * and the bound (`units must be <= 1024, got 2000`). Unknown fields are errors too. (The model
 * library also checks that each probe has a token.)
 */
export function resolveSeq2SeqParams(params: Partial<Seq2SeqSettings> | undefined = {}): Seq2SeqSettings {
  const resolved = resolveParams<Seq2SeqSettings>(Seq2SeqParamsSchema, seq2seqDefaults, params, 'seq2seq');
  return { ...resolved, probes: [...resolved.probes] };
}

/** What a chatbot's registry record holds besides every model's fields. */
export const seq2seqRecordFields = {
  architecture: ['lstm-encoder-decoder'] as const,
  fields: {
    vocabularySize: Type.Integer({ description: 'words, special tokens included' }),
    wordVectors: Type.Union([Type.String(), Type.Null()], { description: 'the word vectors dataset that initialised the embedding' }),
  },
};

/** Dataset facts a chatbot training's estimate needs. */
export interface Seq2SeqTrainingFacts {
  kind: 'seq2seq';
  /** Pairs in the dataset. */
  pairs: number;
  /** Distinct words of the dataset when known; the vocabulary is at most `maxVocabulary` either way. */
  distinctWords?: number | undefined;
}

/** A chatbot training's params and the pairs dataset's facts. */
export interface Seq2SeqTrainingShape {
  params?: Seq2SeqParams | undefined;
  /** Pairs in the dataset. */
  pairs: number;
  /** Distinct words of the dataset when known; the vocabulary is at most `maxVocabulary` either way. */
  distinctWords?: number | undefined;
}

/** Peak memory of a seq2seq training. */
export function estimateSeq2SeqTraining(shape: Seq2SeqTrainingShape, threads = 1): MemoryEstimate {
  const p = { ...seq2seqDefaults, ...definedOnly(shape.params ?? {}) };
  const vocabulary = Math.min(p.maxVocabulary, (shape.distinctWords ?? Infinity) + SEQ2SEQ_SPECIAL_TOKENS);
  const rows = Math.min(p.batchSize, Math.max(1, shape.pairs));
  const used = usableThreads(threads, rows, 8);
  const inputSteps = p.maxInputLength;
  const replySteps = p.maxReplyLength + 1;
  const weights = vocabulary * p.embeddingSize + 2 * recurrentWeights('lstm', p.embeddingSize, p.units) + vocabulary * (p.units + 1);
  const activations = (share: number) =>
    FLOAT * VALUES_PER_LOGIT * replySteps * share * vocabulary +
    recurrentLayerBytes('lstm', inputSteps, share, p.units, p.embeddingSize) +
    recurrentLayerBytes('lstm', replySteps, share, p.units, p.embeddingSize) +
    // The embedding's gradient is dense: a [vocabulary, embeddingSize] per step of either sequence would be too much; tfjs sums it once.
    FLOAT * 2 * vocabulary * p.embeddingSize;
  const share = Math.ceil(rows / used);
  return assemble({
    weights,
    optimizerSlots: 2,
    batchRows: rows,
    threads: used,
    activations,
    // Encoded pairs (int32 tokens of both sides) kept in memory for the whole training.
    dataBytes: FLOAT * shape.pairs * (inputSteps + 2 * replySteps),
    largestTensorBytes: FLOAT * replySteps * share * Math.max(vocabulary, 4 * p.units),
    drivers: [`batchSize ${p.batchSize}`, `maxVocabulary ${p.maxVocabulary}`, `maxReplyLength ${p.maxReplyLength}`, `units ${p.units}`, `embeddingSize ${p.embeddingSize}`],
  });
}

/** What a chatbot reads its facts from: a dataset catalog (`@mlq/jobs`' `DatasetCatalog`). */
export interface PairsSummaryReader {
  recordOf(dataset: string, kind: 'pairs'): Promise<{ summary: { pairs: number } }>;
}

type Seq2SeqPredictRequest = { [K in keyof typeof seq2seqPredictFields]?: unknown };

export const seq2seqFamily = {
  kind: 'seq2seq',
  title: 'chatbot replies',
  datasetKind: 'pairs',
  record: seq2seqRecordFields,
  trainPayloadSchema: Seq2SeqTrainPayloadSchema,
  trainResultSchema: Seq2SeqTrainResultSchema,
  progressSchema: Seq2SeqProgressSchema,
  predictFields: seq2seqPredictFields,
  predictResultSchema: Seq2SeqPredictResultSchema,
  checkPredict(payload: Seq2SeqPredictRequest): { field: string; message: string } | undefined {
    if (payload.message === undefined) return { field: 'message', message: 'message is required for a seq2seq model: the message it replies to' };
    if (payload.strategy !== 'beam') {
      for (const field of ['beamWidth', 'n', 'lengthPenalty'] as const) {
        if (payload[field] !== undefined) return { field, message: `${field} applies to strategy "beam" only` };
      }
    }
    const beamWidth = (payload.beamWidth as number | undefined) ?? replyDefaults.beamWidth;
    if (payload.n !== undefined && (payload.n as number) > beamWidth) return { field: 'n', message: `n (${String(payload.n)}) must be at most beamWidth (${beamWidth})` };
    return undefined;
  },
  async readTrainingFacts(payload: { dataset: string }, catalog: PairsSummaryReader): Promise<Seq2SeqTrainingFacts> {
    return { kind: 'seq2seq', pairs: (await catalog.recordOf(payload.dataset, 'pairs')).summary.pairs };
  },
  estimateTrainingMemory: (payload: Seq2SeqTrainPayload, facts: Seq2SeqTrainingFacts, threads: number): MemoryEstimate | undefined =>
    estimateSeq2SeqTraining({ params: payload.params, pairs: facts.pairs, distinctWords: facts.distinctWords }, threads),
} as const;
