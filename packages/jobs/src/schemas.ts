import { Type, type Static } from '@sinclair/typebox';

/**
 * The contract between producer and consumer: payloads and results of every job, used by the
 * API for validation and OpenAPI, and by the worker to check `job.data` and type its processors.
 * Bounds here mirror `@mlq/models`' own validation (a worker test keeps them equal).
 */

const Id = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });
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
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Seed for weight initialisation' })),
  },
  { additionalProperties: false },
);
export type PriceTrainPayload = Static<typeof PriceTrainPayloadSchema>;

/** One train payload per model family; later families join this union. */
export const TrainPayloadSchema = PriceTrainPayloadSchema;
export type TrainPayload = Static<typeof TrainPayloadSchema>;

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

export const TrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('price'),
  architecture: PriceArchitectureSchema,
  metrics: PriceMetricsSchema,
  epochs: Type.Integer({ description: 'Epochs run (0 for linear)' }),
  durationMs: Type.Number(),
  backend: Type.String({ description: 'tfjs backend that trained it' }),
});
export type TrainResult = Static<typeof TrainResultSchema>;

export const PredictPayloadSchema = Type.Object(
  {
    model: Id('Model id, or a registry name (latest version), `name@latest` or `name@<version>`'),
    horizon: Type.Optional(HorizonSchema),
    history: Type.Optional(
      Type.Array(Finite, {
        minItems: 1,
        maxItems: 10_000,
        description: 'Recent closes, oldest first, to forecast from instead of the series the model was trained on',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PredictPayload = Static<typeof PredictPayloadSchema>;

export const PredictResultSchema = Type.Object({
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
export type PredictResult = Static<typeof PredictResultSchema>;

/** A batch child: train on one series and forecast it (the talk's per-coin task). */
export const ForecastPayloadSchema = Type.Object(
  {
    dataset: Id('Dataset id'),
    series: Id('Series name'),
    architecture: PriceArchitectureSchema,
    params: Type.Optional(PriceLstmParamsSchema),
    horizon: HorizonSchema,
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
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

/** What a training job reports as progress, once per epoch. */
export const TrainProgressSchema = Type.Object({
  epoch: Type.Integer(),
  epochs: Type.Integer(),
  loss: Type.Number(),
  valLoss: Type.Union([Type.Number(), Type.Null()]),
  etaMs: Type.Optional(Type.Number({ description: 'Estimated time to finish, from the mean epoch time' })),
});
export type TrainProgress = Static<typeof TrainProgressSchema>;
