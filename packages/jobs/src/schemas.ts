import { Type, type Static } from '@sinclair/typebox';
import { CheckpointProgressFields, Id, ResumedFromFields, SeedSchema } from './schema-parts.ts';
import { textGenPredictFields, TextGenPredictResultSchema, TextGenProgressSchema, TextGenTrainPayloadSchema, TextGenTrainResultSchema } from './textgen-schemas.ts';
import { seq2seqPredictFields, Seq2SeqPredictResultSchema, Seq2SeqProgressSchema, Seq2SeqTrainPayloadSchema, Seq2SeqTrainResultSchema } from './seq2seq-schemas.ts';

/**
 * The contract between producer and consumer: payloads and results of every job, used by the
 * API for validation and OpenAPI, and by the worker to check `job.data` and type its processors.
 * Bounds here mirror `@mlq/models`' own validation (a worker test keeps them equal).
 */

const Finite = Type.Number({ minimum: -1e300, maximum: 1e300 });

export const HorizonSchema = Type.Integer({ minimum: 1, maximum: 365, default: 10, description: 'Days to forecast (recursive multi-step)' });

export const PriceArchitectureSchema = Type.Union([Type.Literal('lstm'), Type.Literal('linear')], {
  description: '`lstm`: the talk\'s LSTM(50)→LSTM(100) network; `linear`: least squares on the time index',
});

export const PriceLstmParamsSchema = Type.Partial(
  Type.Object({
    window: Type.Integer({ minimum: 2, maximum: 365, description: 'Input window length (days). Default 50' }),
    units1: Type.Integer({ minimum: 1, maximum: 512, description: 'Units of the first LSTM layer. Default 50' }),
    units2: Type.Integer({ minimum: 1, maximum: 512, description: 'Units of the second LSTM layer. Default 100' }),
    dropout: Type.Number({ minimum: 0, maximum: 0.9, description: 'Dropout after each LSTM layer. Default 0.2' }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: 'Training epochs. Default 10' }),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, description: 'Windows per batch. Default 512' }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'RMSprop learning rate. Default 0.001' }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: 'Share of training windows held for validation loss. Default 0.1' }),
    scaling: Type.Union([Type.Literal('auto'), Type.Literal('relative'), Type.Literal('minmax')], {
      description: 'Input scaling: `relative` to each window\'s last close (suits prices that grow by orders of magnitude), `minmax`, or `auto` (relative when every close is positive). Default auto',
    }),
  }),
  { additionalProperties: false, description: 'LSTM hyperparameters; omitted ones take the defaults' },
);
export type PriceLstmParams = Static<typeof PriceLstmParamsSchema>;

export const PriceTrainPayloadSchema = Type.Object(
  {
    kind: Type.Literal('price', { description: 'Model family: price forecasting' }),
    architecture: Type.Optional(PriceArchitectureSchema),
    dataset: Id('Dataset id, e.g. `crypto-top100`'),
    series: Id('Series in the dataset, e.g. `Bitcoin`'),
    name: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
        description: 'Registry name; each training adds a version. Default `<dataset>-<series>-<architecture>`',
      }),
    ),
    params: Type.Optional(PriceLstmParamsSchema),
    horizon: Type.Optional(HorizonSchema),
    holdout: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Points held out at the end for metrics. Default: horizon' })),
    seed: Type.Optional(SeedSchema),
  },
  { additionalProperties: false },
);
export type PriceTrainPayload = Static<typeof PriceTrainPayloadSchema>;

/**
 * One train payload per model family, told apart by `kind`. The API validates a body against the
 * variant its `kind` names (see `trainPayloadVariant`), so errors name that family's fields.
 */
export const TrainPayloadSchema = Type.Union([PriceTrainPayloadSchema, TextGenTrainPayloadSchema, Seq2SeqTrainPayloadSchema], {
  description: 'A training job: `kind` is `price`, `textgen` or `seq2seq`',
});
export type TrainPayload = Static<typeof TrainPayloadSchema>;
export type ModelKind = TrainPayload['kind'];
export const modelKinds: readonly ModelKind[] = ['price', 'textgen', 'seq2seq'];

/** The variant of `TrainPayloadSchema` for a kind, or undefined for an unknown one. */
export function trainPayloadVariant(kind: unknown) {
  return TrainPayloadSchema.anyOf.find((variant) => variant.properties.kind.const === kind);
}

export const ErrorMetricsSchema = Type.Object({
  mae: Type.Number(),
  rmse: Type.Number(),
  mape: Type.Union([Type.Number(), Type.Null()]),
});
export const PriceMetricsSchema = Type.Object(
  {
    model: ErrorMetricsSchema,
    naive: ErrorMetricsSchema,
    linear: ErrorMetricsSchema,
  },
  { additionalProperties: true, description: 'Errors on the held-out tail, for the model and the naive and linear baselines' },
);

export const PriceTrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('price'),
  architecture: PriceArchitectureSchema,
  metrics: PriceMetricsSchema,
  epochs: Type.Integer({ description: 'Epochs run (0 for linear)' }),
  durationMs: Type.Number(),
  backend: Type.String({ description: 'tfjs backend that trained it' }),
  ...ResumedFromFields,
});
export type PriceTrainResult = Static<typeof PriceTrainResultSchema>;

export const TrainResultSchema = Type.Union([PriceTrainResultSchema, TextGenTrainResultSchema, Seq2SeqTrainResultSchema]);
export type TrainResult = Static<typeof TrainResultSchema>;

/**
 * One body for every model: `model`, then the fields of that model's kind (the API answers 400
 * for a field another kind takes; see `predictFieldsByKind`).
 */
export const PredictPayloadSchema = Type.Object(
  {
    model: Id('Model id, or a registry name (latest version), `name@latest` or `name@<version>`'),
    // No default here: a default would be filled in for models of every kind.
    horizon: Type.Optional(Type.Integer({ minimum: HorizonSchema.minimum, maximum: HorizonSchema.maximum, description: 'price: days to forecast. Default: the horizon the model was trained for' })),
    history: Type.Optional(
      Type.Array(Finite, {
        minItems: 1,
        maxItems: 10_000,
        description: 'price: recent closes, oldest first, to forecast from instead of the series the model was trained on',
      }),
    ),
    seedText: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000, description: 'textgen (required): text the model reads before it writes' })),
    length: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000, description: 'textgen: characters to generate. Default 200' })),
    temperature: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 2, description: 'textgen: softmax temperature; lower is more conservative. Default 1' })),
    topK: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'textgen: sample among the k most likely characters only' })),
    randomSeed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'textgen: seeds the sampling; the same seed gives the same text. Default random' })),
    stream: Type.Optional(Type.Boolean({ description: 'textgen: publish characters as they are generated (set by `POST /v1/predict?stream=true`)' })),
    message: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'seq2seq (required): the message to reply to (not blank)' })),
    strategy: Type.Optional(Type.Union([Type.Literal('greedy'), Type.Literal('beam')], { description: 'seq2seq: decoding. Default greedy' })),
    beamWidth: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'seq2seq beam: partial replies kept per step. Default 5' })),
    n: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: 'seq2seq beam: replies returned, at most beamWidth. Default beamWidth' })),
    maxLength: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'seq2seq: most tokens in a reply. Default the model\'s maxReplyLength' })),
    lengthPenalty: Type.Optional(Type.Number({ minimum: 0, maximum: 2, description: 'seq2seq beam: rank by logProb / (tokens + 1)^lengthPenalty. Default 0' })),
  },
  { additionalProperties: false },
);
export type PredictPayload = Static<typeof PredictPayloadSchema>;

export const PricePredictResultSchema = Type.Object({
  kind: Type.Literal('price'),
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  horizon: Type.Integer(),
  forecast: Type.Array(Type.Number(), { description: 'Predicted closes, one per day after the last known one' }),
  dates: Type.Union([Type.Array(Type.String()), Type.Null()], {
    description: 'ISO dates of the forecast when the model was trained on dated data and no `history` was given',
  }),
  cached: Type.Boolean({ description: 'Whether the worker had the model in memory' }),
  backend: Type.String(),
});
export type PricePredictResult = Static<typeof PricePredictResultSchema>;

export const PredictResultSchema = Type.Union([PricePredictResultSchema, TextGenPredictResultSchema, Seq2SeqPredictResultSchema]);
export type PredictResult = Static<typeof PredictResultSchema>;

/** The optional predict fields each kind takes; `model` goes with every kind. */
export const predictFieldsByKind = {
  price: ['horizon', 'history'],
  textgen: textGenPredictFields,
  seq2seq: seq2seqPredictFields,
} as const satisfies Record<ModelKind, readonly (keyof PredictPayload)[]>;

/**
 * What is wrong with a predict payload for a model of `kind`: a field of another kind, or a
 * missing required one. Undefined when it fits.
 */
export function checkPredictFields(kind: ModelKind, payload: PredictPayload): { field: string; message: string } | undefined {
  const allowed = new Set<string>(['model', ...predictFieldsByKind[kind]]);
  for (const field of Object.keys(payload)) {
    if ((payload as Record<string, unknown>)[field] === undefined || allowed.has(field)) continue;
    const owner = modelKinds.find((k) => (predictFieldsByKind[k] as readonly string[]).includes(field));
    return { field, message: `${field} applies to ${owner ?? 'no'} models; model ${payload.model} is a ${kind} model (its fields: ${[...predictFieldsByKind[kind]].join(', ')})` };
  }
  if (kind === 'textgen' && payload.seedText === undefined) return { field: 'seedText', message: 'seedText is required for a textgen model: the text it continues' };
  if (kind === 'seq2seq' && payload.message === undefined) return { field: 'message', message: 'message is required for a seq2seq model: the message it replies to' };
  if (kind === 'seq2seq' && payload.strategy !== 'beam') {
    for (const field of ['beamWidth', 'n', 'lengthPenalty'] as const) {
      if (payload[field] !== undefined) return { field, message: `${field} applies to strategy "beam" only` };
    }
  }
  if (payload.n !== undefined && payload.n > (payload.beamWidth ?? 5)) {
    return { field: 'n', message: `n (${payload.n}) must be at most beamWidth (${payload.beamWidth ?? 5})` };
  }
  return undefined;
}

/** A batch child: train on one series and forecast it (the talk's per-coin task). */
export const ForecastPayloadSchema = Type.Object(
  {
    dataset: Id('Dataset id'),
    series: Id('Series name'),
    architecture: PriceArchitectureSchema,
    params: Type.Optional(PriceLstmParamsSchema),
    horizon: HorizonSchema,
    seed: Type.Optional(SeedSchema),
  },
  { additionalProperties: false },
);
export type ForecastPayload = Static<typeof ForecastPayloadSchema>;

export const ForecastResultSchema = Type.Object({
  series: Type.String(),
  forecast: Type.Array(Type.Number()),
  dates: Type.Array(Type.String()),
  lastDate: Type.String(),
  lastClose: Type.Number(),
  metrics: PriceMetricsSchema,
  durationMs: Type.Number(),
  ...ResumedFromFields,
});
export type ForecastResult = Static<typeof ForecastResultSchema>;

export const BatchPayloadSchema = Type.Object(
  {
    dataset: Id('Dataset id, e.g. `crypto-top100`'),
    series: Type.Optional(
      Type.Array(Id('Series name'), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'Default: every series of the dataset long enough for the model' }),
    ),
    architecture: Type.Optional(PriceArchitectureSchema),
    params: Type.Optional(PriceLstmParamsSchema),
    horizon: Type.Optional(HorizonSchema),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
  },
  { additionalProperties: false },
);
export type BatchPayload = Static<typeof BatchPayloadSchema>;

export const BatchResultSchema = Type.Object({
  forecasts: Type.Record(Type.String(), ForecastResultSchema),
  failed: Type.Record(Type.String(), Type.String({ description: 'Why this series failed' })),
});
export type BatchResult = Static<typeof BatchResultSchema>;

/** Data of the batch parent job (the request, resolved to a concrete series list). */
export const BatchParentDataSchema = Type.Object({
  dataset: Type.String(),
  series: Type.Array(Type.String()),
  architecture: PriceArchitectureSchema,
  horizon: Type.Integer(),
  /** Series name → child job id (in the `train` queue). */
  children: Type.Record(Type.String(), Type.String()),
  /** Series left out of the batch, and why. */
  skipped: Type.Record(Type.String(), Type.String()),
});
export type BatchParentData = Static<typeof BatchParentDataSchema>;

/** What a price training reports as progress, once per epoch. */
export const PriceProgressSchema = Type.Object({
  kind: Type.Literal('price'),
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  loss: Type.Number(),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  etaMs: Type.Optional(Type.Number({ description: 'Estimated time to finish, from the mean epoch time' })),
  ...CheckpointProgressFields,
});
export type PriceProgress = Static<typeof PriceProgressSchema>;

/** What a training job reports as progress (`job.progress`, SSE `progress` events), by kind. */
export const TrainProgressSchema = Type.Union([PriceProgressSchema, TextGenProgressSchema, Seq2SeqProgressSchema]);
export type TrainProgress = Static<typeof TrainProgressSchema>;
