import { Type, type Static } from '@sinclair/typebox';
import { CheckpointProgressFields, Id, ModelNameSchema, ResumedFromFields, SeedSchema } from '../schema-parts.ts';
import { assemble, definedOnly, FLOAT, recurrentLayerBytes, recurrentWeights, usableThreads, type MemoryEstimate } from '../memory.ts';

/**
 * Price forecasting: the talk's LSTM and a linear baseline over one series of daily closes.
 * Every rule of the family lives here once: the API validates requests with these schemas, the
 * model library resolves its params with the same schema and defaults (`resolveParams`).
 */

const Finite = Type.Number({ minimum: -1e300, maximum: 1e300 });

/** Accepted values of `scaling`; `auto` is `relative` when every training close is positive, else `minmax`. */
export const scalingChoices = ['auto', 'relative', 'minmax'] as const;
export const priceArchitectures = ['lstm', 'linear'] as const;
export type PriceArchitecture = (typeof priceArchitectures)[number];

/** Hyperparameters of the price LSTM as the model library resolves them. */
export interface PriceLstmSettings {
  /** Input window length, in points. */
  window: number;
  /** Units of the first LSTM layer (returns sequences). */
  units1: number;
  /** Units of the second LSTM layer. */
  units2: number;
  /** Dropout rate after each LSTM layer. */
  dropout: number;
  /** Passes over the training windows. */
  epochs: number;
  /** Windows per gradient step. */
  batchSize: number;
  /** RMSprop learning rate. */
  learningRate: number;
  /** Share of the training windows (the most recent ones) used for validation loss. */
  validationSplit: number;
  /** Input scaling: `relative` to each window's last close, `minmax`, or `auto` (relative when all closes are positive). */
  scaling: (typeof scalingChoices)[number];
}

/** The talk's network: LSTM(50, seq) → Dropout(0.2) → LSTM(100) → Dropout(0.2) → Dense(1). */
export const priceLstmDefaults: Readonly<PriceLstmSettings> = {
  window: 50,
  units1: 50,
  units2: 100,
  dropout: 0.2,
  epochs: 10,
  batchSize: 512,
  learningRate: 0.001,
  validationSplit: 0.1,
  scaling: 'auto',
};

/** Forecast horizon in points: default 10 days, as in the talk. */
export const horizonBounds = { min: 1, max: 365, default: 10 } as const;
/** Fewest training windows an LSTM is fitted on. */
export const MIN_TRAINING_WINDOWS = 10;
/** Fewest training points of a linear fit. */
export const MIN_LINEAR_POINTS = 2;

const d = priceLstmDefaults;
export const HorizonSchema = Type.Integer({ minimum: horizonBounds.min, maximum: horizonBounds.max, default: horizonBounds.default, description: 'Days to forecast (recursive multi-step)' });
export const HoldoutSchema = Type.Integer({ minimum: 1, maximum: 365, description: 'Points held out at the end for metrics. Default: horizon' });

export const PriceArchitectureSchema = Type.Union(
  priceArchitectures.map((name) => Type.Literal(name)),
  { description: "`lstm`: the talk's LSTM(50)→LSTM(100) network; `linear`: least squares on the time index" },
);

export const PriceLstmParamsSchema = Type.Partial(
  Type.Object({
    window: Type.Integer({ minimum: 2, maximum: 365, description: `Input window length (days). Default ${d.window}` }),
    units1: Type.Integer({ minimum: 1, maximum: 512, description: `Units of the first LSTM layer. Default ${d.units1}` }),
    units2: Type.Integer({ minimum: 1, maximum: 512, description: `Units of the second LSTM layer. Default ${d.units2}` }),
    dropout: Type.Number({ minimum: 0, maximum: 0.9, description: `Dropout after each LSTM layer. Default ${d.dropout}` }),
    epochs: Type.Integer({ minimum: 1, maximum: 1000, description: `Training epochs. Default ${d.epochs}` }),
    batchSize: Type.Integer({ minimum: 1, maximum: 4096, description: `Windows per batch. Default ${d.batchSize}` }),
    learningRate: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: `RMSprop learning rate. Default ${d.learningRate}` }),
    validationSplit: Type.Number({ minimum: 0, maximum: 0.5, description: `Share of training windows held for validation loss. Default ${d.validationSplit}` }),
    scaling: Type.Union(
      scalingChoices.map((name) => Type.Literal(name)),
      {
        description: `Input scaling: \`relative\` to each window's last close (suits prices that grow by orders of magnitude), \`minmax\`, or \`auto\` (relative when every close is positive). Default ${d.scaling}`,
      },
    ),
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
    name: Type.Optional(ModelNameSchema('`<dataset>-<series>-<architecture>`')),
    params: Type.Optional(PriceLstmParamsSchema),
    horizon: Type.Optional(HorizonSchema),
    holdout: Type.Optional(HoldoutSchema),
    seed: Type.Optional(SeedSchema),
  },
  { additionalProperties: false },
);
export type PriceTrainPayload = Static<typeof PriceTrainPayloadSchema>;

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

/** The fields of `POST /v1/predict` a price model takes. */
export const pricePredictFields = {
  // No default here: a default would be filled in for models of every kind.
  horizon: Type.Optional(
    Type.Integer({ minimum: HorizonSchema.minimum, maximum: HorizonSchema.maximum, description: 'price: days to forecast. Default: the horizon the model was trained for' }),
  ),
  history: Type.Optional(
    Type.Array(Finite, {
      minItems: 1,
      maxItems: 10_000,
      description: 'price: recent closes, oldest first, to forecast from instead of the series the model was trained on',
    }),
  ),
};

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

/**
 * Fewest points a series needs for a model: the held-out tail plus what training needs.
 * The API checks it to answer 400 at once; the model library checks it again.
 */
export function requiredSeriesLength(architecture: PriceArchitecture, params: { window?: number | undefined } | undefined, holdout: number | undefined): number {
  const held = holdout ?? horizonBounds.default;
  if (architecture === 'linear') return held + MIN_LINEAR_POINTS;
  return (params?.window ?? priceLstmDefaults.window) + held + MIN_TRAINING_WINDOWS;
}

/** Fewest history values a forecast from given history needs: the LSTM's window, or 2 for a linear fit. */
export function requiredHistoryLength(architecture: string, window: number): number {
  return architecture === 'lstm' ? window : MIN_LINEAR_POINTS;
}

/** What a price model's registry record holds besides every model's fields. */
export const priceRecordFields = {
  architecture: priceArchitectures,
  fields: {
    series: Type.String({ description: 'the series trained on' }),
    horizon: Type.Integer({ description: 'default forecast horizon' }),
    lastDate: Type.Union([Type.String(), Type.Null()], { description: 'last date of the training series' }),
  },
  internal: {
    /** Typical spacing of the series' dates in days (1 for daily, ~30 for monthly), so forecasts can carry dates. */
    dateStepDays: Type.Union([Type.Number(), Type.Null()]),
  },
};

/** Dataset facts a price training's estimate needs. */
export interface PriceTrainingFacts {
  kind: 'price';
  /** Points in the series. */
  seriesLength: number;
}

/** A price training's params as the worker resolves them. */
export interface PriceTrainingShape {
  params?: PriceLstmParams | undefined;
  /** Points in the series. */
  seriesLength: number;
  /** The held-out tail (default: the horizon, 10). */
  holdout?: number | undefined;
}

/** Peak memory of a price LSTM training (a linear fit needs none worth counting). */
export function estimatePriceTraining(shape: PriceTrainingShape, threads = 1): MemoryEstimate {
  const p = { ...priceLstmDefaults, ...definedOnly(shape.params ?? {}) };
  const windows = Math.max(1, shape.seriesLength - (shape.holdout ?? horizonBounds.default) - p.window);
  const fitWindows = Math.max(1, windows - Math.floor(windows * p.validationSplit));
  const rows = Math.min(p.batchSize, fitWindows);
  const used = usableThreads(threads, rows, 64);
  const weights = recurrentWeights('lstm', 1, p.units1) + recurrentWeights('lstm', p.units1, p.units2) + p.units2 + 1;
  return assemble({
    weights,
    optimizerSlots: 2,
    batchRows: rows,
    threads: used,
    // Two LSTMs over the window, their dropout masks and outputs.
    activations: (share) =>
      recurrentLayerBytes('lstm', p.window, share, p.units1, 1) + recurrentLayerBytes('lstm', p.window, share, p.units2, p.units1) + FLOAT * 4 * p.window * share * p.units1,
    // The windows (inputs and targets), their split into fit and validation, and each epoch's shuffled copy.
    dataBytes: FLOAT * 3 * windows * (p.window + 1),
    largestTensorBytes: FLOAT * p.window * Math.ceil(rows / used) * 4 * Math.max(p.units1, p.units2),
    drivers: [`window ${p.window}`, `batchSize ${p.batchSize}`, `units1 ${p.units1}`, `units2 ${p.units2}`],
  });
}

/** What a price family reads its facts from: a dataset catalog (`@mlq/jobs`' `DatasetCatalog`). */
export interface PriceSeriesReader {
  series(dataset: string): Promise<{ collection: { closes(series: string): ArrayLike<number> } }>;
}

export const priceFamily = {
  kind: 'price',
  title: 'price forecasting',
  datasetKind: 'price',
  record: priceRecordFields,
  trainPayloadSchema: PriceTrainPayloadSchema,
  trainResultSchema: PriceTrainResultSchema,
  progressSchema: PriceProgressSchema,
  predictFields: pricePredictFields,
  predictResultSchema: PricePredictResultSchema,
  checkPredict: () => undefined,
  /** Reads the facts `estimateTrainingMemory` needs (unknown dataset or series: the catalog's 404). */
  async readTrainingFacts(payload: { dataset: string; series: string }, catalog: PriceSeriesReader): Promise<PriceTrainingFacts> {
    return { kind: 'price', seriesLength: (await catalog.series(payload.dataset)).collection.closes(payload.series).length };
  },
  /** Undefined for a linear fit: no tensors worth counting. */
  estimateTrainingMemory(payload: PriceTrainPayload, facts: PriceTrainingFacts, threads: number): MemoryEstimate | undefined {
    if ((payload.architecture ?? 'lstm') === 'linear') return undefined;
    return estimatePriceTraining({ params: payload.params, seriesLength: facts.seriesLength, holdout: payload.holdout ?? payload.horizon }, threads);
  },
} as const;
