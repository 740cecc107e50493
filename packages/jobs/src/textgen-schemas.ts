import { Type, type Static } from '@sinclair/typebox';
import { Id, ModelNameSchema, SeedSchema } from './schema-parts.ts';

/**
 * Character-level text generation: payloads, results and progress. Bounds and presets mirror
 * `@mlq/models`' `textGenBounds` and `textGenPresets` (a worker contract test keeps them equal).
 */

export const TextGenParamsSchema = Type.Partial(
  Type.Object({
    cell: Type.Union([Type.Literal('gru'), Type.Literal('lstm')], { description: 'Recurrent cell of every layer. Default gru' }),
    layers: Type.Integer({ minimum: 1, maximum: 3, description: 'Stacked recurrent layers. Default 1 (talk: 3)' }),
    units: Type.Integer({ minimum: 4, maximum: 1024, description: 'Units per layer. Default 128 (talk: 512)' }),
    seqLength: Type.Integer({ minimum: 2, maximum: 200, description: 'Characters per training window. Default 60 (talk: 30)' }),
    step: Type.Integer({ minimum: 1, maximum: 200, description: 'Characters between window starts, at most seqLength. Default seqLength' }),
    dropout: Type.Number({ minimum: 0, exclusiveMaximum: 0.9, description: 'Dropout on each layer\'s outputs while training. Default 0 (talk: 0.2)' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 1024, description: 'Windows per optimizer step. Default 32 (talk: 200)' }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: 'Passes over the text. Default 5 (talk: 10)' }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'Adam learning rate. Default 0.005 (talk: 0.001)' }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: 'Share of the text, from its end, held out for validation. Default 0.05' }),
    checkpointEverySteps: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      description: 'Optimizer steps between checkpoints to the artifact store (0: at epoch ends only). Default 200 (talk: 500)',
    }),
  }),
  { additionalProperties: false, description: 'Hyperparameters over the preset\'s; omitted ones take the preset\'s values' },
);
export type TextGenParams = Static<typeof TextGenParamsSchema>;

export const textGenPresetNames = ['default', 'talk'] as const;
export type TextGenPresetName = (typeof textGenPresetNames)[number];

export const TextGenTrainPayloadSchema = Type.Object(
  {
    kind: Type.Literal('textgen', { description: 'Model family: character-level text generation' }),
    dataset: Id('Text dataset id, e.g. `tinyshakespeare`, `moby-dick` or an uploaded one'),
    name: Type.Optional(ModelNameSchema('`<dataset>-textgen`')),
    preset: Type.Optional(
      Type.Union(
        textGenPresetNames.map((name) => Type.Literal(name)),
        { description: '`default`: sized for a 2-core CPU (GRU 1×128, seq 60, batch 32); `talk`: the talk\'s GRU 3×512, seq 30, batch 200 (for GPU workers)' },
      ),
    ),
    params: Type.Optional(TextGenParamsSchema),
    seed: Type.Optional(SeedSchema),
    sampleLength: Type.Optional(Type.Integer({ minimum: 0, maximum: 2000, description: 'Characters sampled after each epoch and shown in progress. Default 200' })),
    sampleTemperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 2, description: 'Temperature of that sample. Default 0.5' })),
  },
  { additionalProperties: false },
);
export type TextGenTrainPayload = Static<typeof TextGenTrainPayloadSchema>;

export const TextEpochMetricsSchema = Type.Object({
  epoch: Type.Integer(),
  step: Type.Integer(),
  loss: Type.Number({ description: 'Training loss, nats per character' }),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  bitsPerChar: Type.Number(),
  valBitsPerChar: Type.Union([Type.Number(), Type.Null()]),
});

export const TextGenTrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('textgen'),
  architecture: Type.Union([Type.Literal('gru'), Type.Literal('lstm')]),
  metrics: Type.Object(
    {
      loss: Type.Union([Type.Number(), Type.Null()]),
      valLoss: Type.Union([Type.Number(), Type.Null()]),
      bitsPerChar: Type.Union([Type.Number(), Type.Null()]),
      valBitsPerChar: Type.Union([Type.Number(), Type.Null()]),
      unigramBitsPerChar: Type.Number({ description: 'Unigram entropy of the training text: what a model that ignores context scores' }),
    },
    { additionalProperties: true },
  ),
  epochs: Type.Integer(),
  steps: Type.Integer({ description: 'Optimizer steps of the whole run' }),
  resumedFromStep: Type.Union([Type.Integer(), Type.Null()], { description: 'Step of the checkpoint this attempt continued from; null when it started from scratch' }),
  sample: Type.String({ description: 'Text sampled after the last epoch' }),
  durationMs: Type.Number(),
  backend: Type.String(),
});
export type TextGenTrainResult = Static<typeof TextGenTrainResultSchema>;

/** Progress of a textgen training: step counts while an epoch runs, the last epoch's metrics and sample once one ended. */
export const TextGenProgressSchema = Type.Object({
  kind: Type.Literal('textgen'),
  epoch: Type.Integer({ description: '1-based epoch in progress (or just finished)' }),
  epochs: Type.Integer(),
  step: Type.Integer({ description: 'Optimizer steps done, counting on across a resume' }),
  steps: Type.Integer(),
  loss: Type.Number({ description: 'Loss of the latest batch, nats per character' }),
  bitsPerChar: Type.Number(),
  checkpointStep: Type.Union([Type.Integer(), Type.Null()], { description: 'Step of the newest checkpoint in the store' }),
  resumedFromStep: Type.Union([Type.Integer(), Type.Null()]),
  lastEpoch: Type.Union([Type.Intersect([TextEpochMetricsSchema, Type.Object({ sample: Type.String() })]), Type.Null()]),
  etaMs: Type.Optional(Type.Number()),
});
export type TextGenProgress = Static<typeof TextGenProgressSchema>;

/** Prediction fields of a textgen model. */
export const textGenPredictFields = ['seedText', 'length', 'temperature', 'topK', 'randomSeed', 'stream'] as const;

export const TextGenPredictResultSchema = Type.Object({
  kind: Type.Literal('textgen'),
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  seedText: Type.String(),
  text: Type.String({ description: 'The generated characters (the seed text not included)' }),
  length: Type.Integer(),
  temperature: Type.Number(),
  topK: Type.Union([Type.Integer(), Type.Null()]),
  randomSeed: Type.Integer({ description: 'The seed that sampled it: send it again for the same text' }),
  unknownCharacters: Type.Integer({ description: 'Seed characters outside the model\'s vocabulary (read as all-zero inputs)' }),
  cached: Type.Boolean(),
  backend: Type.String(),
});
export type TextGenPredictResult = Static<typeof TextGenPredictResultSchema>;
