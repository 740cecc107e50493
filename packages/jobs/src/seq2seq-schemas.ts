import { Type, type Static } from '@sinclair/typebox';
import { CheckpointProgressFields, Id, ModelNameSchema, ResumedFromFields, SeedSchema } from './schema-parts.ts';

/**
 * The seq2seq chat model: payloads, results and progress. Bounds mirror `@mlq/models`'
 * `seq2seqBounds`, `probeBounds` and `replyBounds` (a worker contract test keeps them equal).
 */

export const Seq2SeqParamsSchema = Type.Partial(
  Type.Object({
    embeddingSize: Type.Integer({ minimum: 1, maximum: 1024, description: 'Word embedding width; must equal the word vectors\' dimension when given. Default 64' }),
    units: Type.Integer({ minimum: 1, maximum: 1024, description: 'Units of the encoder and decoder LSTMs. Default 128' }),
    maxVocabulary: Type.Integer({ minimum: 5, maximum: 50_000, description: 'Vocabulary size, the 4 special tokens included. Default 4000' }),
    maxInputLength: Type.Integer({ minimum: 1, maximum: 100, description: 'Tokens of a message the encoder reads (its last ones). Default 20' }),
    maxReplyLength: Type.Integer({ minimum: 1, maximum: 100, description: 'Tokens of a reply trained on and generated. Default 20' }),
    dropout: Type.Number({ minimum: 0, maximum: 0.9, description: 'Dropout on the decoder\'s outputs while training. Default 0.1' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, description: 'Pairs per step. Default 32' }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: 'Passes over the pairs. Default 20' }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Adam learning rate. Default 0.002' }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: 'Share of pairs held out for the validation loss. Default 0.1' }),
    freezeEmbeddings: Type.Boolean({ description: 'Keep the embedding fixed at the word vectors (needs `wordVectors`). Default false' }),
    probes: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
      maxItems: 10,
      description: 'Messages replied to after every epoch, shown in progress. Default ["hi", "how are you?", "what are you doing tonight?"]',
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

/** Prediction fields of a seq2seq model. */
export const seq2seqPredictFields = ['message', 'strategy', 'beamWidth', 'n', 'maxLength', 'lengthPenalty'] as const;

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
  reply: Type.String({ description: 'The best reply\'s text' }),
  replies: Type.Array(ChatReplySchema, { description: 'Greedy: one; beam: the n best, best first' }),
  unknownWords: Type.Array(Type.String(), { description: 'Words of the message outside the model\'s vocabulary (read as <unk>)' }),
  cached: Type.Boolean(),
  backend: Type.String(),
});
export type Seq2SeqPredictResult = Static<typeof Seq2SeqPredictResultSchema>;
