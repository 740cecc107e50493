import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { CheckpointProgressFields, Id, ModelNameSchema, ResumedFromFields, SeedSchema } from '../schema-parts.ts';
import { assemble, definedOnly, FLOAT, recurrentLayerBytes, recurrentWeights, usableThreads, type MemoryEstimate } from '../memory.ts';
import { resolveParams } from '../params.ts';

/**
 * Price forecasting over one series of daily closes: statistical forecasters (naive, seasonal
 * naive, drift, exponential smoothing, Theta, optimised Theta, and `auto`, which backtests them and
 * keeps the best), the talk's LSTM and a linear baseline; every forecast comes with its quantiles
 * and its skill against the naive forecast. Every rule of the family lives here once: the API
 * validates requests with these schemas, the model library resolves its params with the same
 * schemas and defaults (`resolveParams`, `resolvePriceParams`).
 */

const Finite = Type.Number({ minimum: -1e300, maximum: 1e300 });

/** Accepted values of `scaling`; `auto` is `relative` when every training close is positive, else `minmax`. */
export const scalingChoices = ['auto', 'relative', 'minmax'] as const;

/** The statistical architectures: fitted in milliseconds, no tfjs. */
export const statisticalPriceArchitectures = ['auto', 'naive', 'seasonal-naive', 'drift', 'ets', 'theta', 'optimized-theta'] as const;
export type StatisticalPriceArchitecture = (typeof statisticalPriceArchitectures)[number];
export const priceArchitectures = [...statisticalPriceArchitectures, 'linear', 'lstm'] as const;
export type PriceArchitecture = (typeof priceArchitectures)[number];

/**
 * The architecture of a price training that names none. `auto`, because the backtests say so:
 * on the bundled crypto data (`npx tsx bench/forecast-accuracy.ts`, README "Forecast accuracy")
 * it is the only architecture at or below the naive forecast's error over 69 coins (geometric
 * mean of MASE relative to naive 0.999); the talk's LSTM, with its 10 epochs, was 1.058 on the 6
 * coins it was measured on (auto 1.006 there) at 30 times the training time. auto also carries
 * intervals and a statement of skill, and falls back to naive on short series.
 */
export const defaultPriceArchitecture: PriceArchitecture = 'auto';

export function isStatisticalArchitecture(architecture: string): architecture is StatisticalPriceArchitecture {
  return (statisticalPriceArchitectures as readonly string[]).includes(architecture);
}

/** What each architecture is, for the API documentation. */
export const priceArchitectureSummaries: Record<PriceArchitecture, string> = {
  auto: 'backtests naive, drift, ETS, Theta and optimised Theta (with `period`: seasonal naive and seasonally adjusted Theta too) on the series and serves the lowest MASE (a simpler one within 3% wins); naive when the series is too short to choose',
  naive: 'the last close, repeated (random walk)',
  'seasonal-naive': 'the last `period` closes, repeated',
  drift: 'the last close plus the average change per day (a line through the first and last closes)',
  ets: 'exponential smoothing with additive errors: simple, Holt or damped trend, chosen by AICc',
  theta: 'the Theta method (simple exponential smoothing with half the linear trend; seasonally adjusted when `period` is given and the series is seasonal)',
  'optimized-theta': 'the optimised Theta model (Theta and smoothing estimated; seasonally adjusted when `period` is given)',
  linear: "least squares on the time index (the talk's scikit-learn baseline)",
  lstm: "the talk's LSTM(50)→LSTM(100) network",
};

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
  {
    description: `${priceArchitectures.map((name) => `\`${name}\`: ${priceArchitectureSummaries[name]}`).join('; ')}. Default \`${defaultPriceArchitecture}\``,
  },
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

/** The quantiles a forecast comes with unless the training asks for others: an 80% band and the median. */
export const DEFAULT_PRICE_QUANTILES: readonly number[] = Object.freeze([0.1, 0.5, 0.9]);
/**
 * Quantile levels: the outermost ones need 1/q − 1 backtest errors per horizon step for the
 * conformal guarantee, and a training backtests on at most 20 origins, hence 0.05–0.95.
 */
export const quantileBounds = { min: 0.05, max: 0.95, maxItems: 9 } as const;
export const QuantilesSchema = Type.Array(Type.Number({ minimum: quantileBounds.min, maximum: quantileBounds.max }), {
  minItems: 1,
  maxItems: quantileBounds.maxItems,
  uniqueItems: true,
  description: `Quantile levels of the forecast's intervals, each in [${quantileBounds.min}, ${quantileBounds.max}] (every architecture). Default ${DEFAULT_PRICE_QUANTILES.join(', ')}`,
});
/** Season length in points: 7 for daily closes with a weekly cycle, 12 for monthly ones with a yearly cycle. */
export const PeriodSchema = Type.Integer({
  minimum: 2,
  maximum: 365,
  description: 'Season length in points (`seasonal-naive`: default 7; `theta`, `optimized-theta`, `auto`: seasonal adjustment and seasonal candidates, none by default)',
});

/** The season of `seasonal-naive` unless given: a week of daily closes. */
export const DEFAULT_SEASONAL_PERIOD = 7;

/** Params of the statistical architectures, as the model library resolves them. */
export interface PriceStatisticalSettings {
  /** Season length; absent where the architecture runs without one. */
  period?: number;
  quantiles: number[];
}

/** The fields of the statistical architectures besides the LSTM's. */
const statisticalParamFields = { period: PeriodSchema, quantiles: QuantilesSchema };

/** Every param any price architecture takes; which ones an architecture takes is `priceParamsOf` (the API refuses the others). */
export const PriceParamsSchema = Type.Partial(Type.Object({ ...PriceLstmParamsSchema.properties, ...statisticalParamFields }), {
  additionalProperties: false,
  description:
    'Hyperparameters; omitted ones take the defaults. `lstm`: the LSTM fields and `quantiles`; `seasonal-naive`: `period` (default 7) and `quantiles`; ' +
    '`theta`, `optimized-theta`, `auto`: `period` (optional) and `quantiles`; `naive`, `drift`, `ets`: `quantiles`; `linear`: `quantiles` (LSTM fields are ignored, as they always were)',
});
export type PriceParams = Static<typeof PriceParamsSchema>;

/** What each architecture takes besides `quantiles`, and its default period. */
const architectureParams: Record<PriceArchitecture, { period: 'none' | 'optional' | number; lstm?: true }> = {
  auto: { period: 'optional' },
  naive: { period: 'none' },
  'seasonal-naive': { period: DEFAULT_SEASONAL_PERIOD },
  drift: { period: 'none' },
  ets: { period: 'none' },
  theta: { period: 'optional' },
  'optimized-theta': { period: 'optional' },
  linear: { period: 'none' },
  lstm: { period: 'none', lstm: true },
};

/** The params an architecture takes: `quantiles`, `period` where it takes one, the LSTM's for `lstm` (checked there by `validatePriceParams`). */
function architectureParamsSchema(architecture: PriceArchitecture): TObject {
  const { period, lstm } = architectureParams[architecture];
  return Type.Object(
    {
      ...(lstm ? PriceLstmParamsSchema.properties : {}),
      ...(period === 'none' ? {} : { period: period === 'optional' ? Type.Optional(PeriodSchema) : PeriodSchema }),
      quantiles: QuantilesSchema,
    },
    { additionalProperties: false },
  );
}

/** The names of the params an architecture takes (`linear` also ignores the LSTM's). */
export function priceParamsOf(architecture: PriceArchitecture): string[] {
  return Object.keys(architectureParamsSchema(architecture).properties);
}

/**
 * The statistical params of a training (`quantiles`, and `period` where the architecture takes
 * one), defaults filled in and checked with the architecture's schema; an LSTM's own params are
 * resolved by `resolveParams(PriceLstmParamsSchema, …)`. Throws `ModelConfigError` naming the
 * field: a param the architecture does not take is one (`window is not a price ets parameter
 * (known: quantiles)`), except the LSTM's under `linear`, which ignores them as it always has.
 */
export function resolvePriceParams(architecture: PriceArchitecture, params: PriceParams | undefined): PriceStatisticalSettings {
  const lstmFields = Object.keys(PriceLstmParamsSchema.properties);
  const given = Object.fromEntries(Object.entries(params ?? {}).filter(([key]) => !(architecture === 'linear' && lstmFields.includes(key))));
  const { period } = architectureParams[architecture];
  const defaults = { quantiles: [...DEFAULT_PRICE_QUANTILES], ...(typeof period === 'number' ? { period } : {}) };
  const resolved = resolveParams<Record<string, unknown>>(architectureParamsSchema(architecture), defaults, given, `price ${architecture}`);
  const quantiles = [...(resolved.quantiles as number[])].sort((a, b) => a - b);
  return resolved.period === undefined ? { quantiles } : { period: resolved.period as number, quantiles };
}

/**
 * Fewest points a statistical architecture fits on (what the model library's forecasters accept):
 * seasonal naive a season, ETS and Theta 7, the optimised Theta model 8; `auto` falls back to naive
 * on anything shorter than its candidates need.
 */
export function statisticalFitPoints(architecture: StatisticalPriceArchitecture, period: number | undefined): number {
  switch (architecture) {
    case 'auto':
    case 'naive':
      return 1;
    case 'seasonal-naive':
      return period ?? DEFAULT_SEASONAL_PERIOD;
    case 'drift':
      return 2;
    case 'ets':
    case 'theta':
      return 7;
    case 'optimized-theta':
      return 8;
  }
}

export const PriceTrainPayloadSchema = Type.Object(
  {
    kind: Type.Literal('price', { description: 'Model family: price forecasting' }),
    architecture: Type.Optional(PriceArchitectureSchema),
    dataset: Id('Dataset id, e.g. `crypto-top100`'),
    series: Id('Series in the dataset, e.g. `Bitcoin`'),
    name: Type.Optional(ModelNameSchema('`<dataset>-<series>-<architecture>`')),
    params: Type.Optional(PriceParamsSchema),
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

const Nullable = <T extends TSchema>(schema: T, description?: string) => Type.Union([schema, Type.Null()], description === undefined ? {} : { description });

/** Where a model's skill and interval calibration come from. */
export const evaluationMethods = ['backtest', 'nested-backtest', 'holdout'] as const;
export const EvaluationMethodSchema = Type.Union(
  evaluationMethods.map((method) => Type.Literal(method)),
  {
    description:
      '`backtest`: rolling origins over the training series, each fold fitted only on the points before its origin (statistical architectures, linear); ' +
      '`nested-backtest` (auto): the same, with the whole choice among the candidates rerun in each fold; ' +
      '`holdout` (lstm): forecasts of the trained network from every origin inside the held-out tail, which it never saw',
  },
);
export type EvaluationMethod = Static<typeof EvaluationMethodSchema>;

/** A model's skill against the naive forecast, from its own evaluation: what a client reads to see whether naive is as good. */
export const ForecastSkillSchema = Type.Object(
  {
    method: EvaluationMethodSchema,
    mase: Type.Number({ description: "The model's mean MASE over the folds (each fold's MAE over the in-sample naive one-step MAE of its training part)" }),
    naiveMase: Type.Number({ description: 'The same for the naive forecast (the last close repeated) on the same folds' }),
    relativeToNaive: Type.Number({ description: 'mase / naiveMase: below 1 the model beat naive in its evaluation, at or above 1 naive was as good' }),
    beatsNaive: Type.Boolean({ description: 'mase < naiveMase' }),
    folds: Type.Integer({ description: 'Forecast origins scored' }),
    horizon: Type.Integer({ description: 'Points forecast from each origin' }),
    step: Type.Integer({ description: 'Points between consecutive origins' }),
  },
  { description: "Skill against the naive forecast, from the model's own evaluation on its training series" },
);
export type ForecastSkill = Static<typeof ForecastSkillSchema>;

export const ForecastScoresSchema = Type.Object({
  mae: Type.Number(),
  rmse: Type.Number(),
  mape: Nullable(Type.Number(), 'null when an actual is 0'),
  mase: Nullable(Type.Number(), 'null when the training part is constant'),
});
export type ForecastScoreMeans = Static<typeof ForecastScoresSchema>;

export const PriceBacktestSummarySchema = Type.Object(
  {
    method: EvaluationMethodSchema,
    folds: Type.Integer(),
    horizon: Type.Integer(),
    step: Type.Integer(),
    model: ForecastScoresSchema,
    naive: ForecastScoresSchema,
  },
  { description: 'Mean scores of the model and of naive over the folds the skill comes from' },
);
export type PriceBacktestSummary = Static<typeof PriceBacktestSummarySchema>;

export const conformalScales = ['relative', 'absolute'] as const;
export const IntervalCalibrationSchema = Type.Object(
  {
    method: Type.Literal('split-conformal'),
    source: EvaluationMethodSchema,
    scale: Type.Union(
      conformalScales.map((scale) => Type.Literal(scale)),
      { description: '`relative`: errors as fractions of the forecast (every close positive); `absolute`: in price units' },
    ),
    quantiles: Type.Array(Type.Number()),
    horizon: Type.Integer({ description: 'Steps calibrated (the evaluation horizon): a longer forecast has no intervals' }),
    errorsPerStep: Type.Integer({ description: 'Evaluation errors behind each step’s quantiles' }),
  },
  { description: "How the intervals are made: each step's quantiles of the evaluation errors, added to the point forecast" },
);
export type IntervalCalibrationSummary = Static<typeof IntervalCalibrationSchema>;

export const autoChoiceReasons = ['best-mase', 'tie-simpler', 'too-short', 'unscored'] as const;
export const AutoSelectionSchema = Type.Object(
  {
    chosen: Type.String({ description: 'The candidate served, e.g. `ets(auto)`' }),
    reason: Type.Union(
      autoChoiceReasons.map((reason) => Type.Literal(reason)),
      {
        description:
          '`best-mase`: the lowest mean MASE; `tie-simpler`: within 3% of the best and simpler; naive as the fallback: `too-short` (fewer than 3 folds fit) or `unscored` (no candidate had a MASE)',
      },
    ),
    folds: Type.Integer({ description: 'Folds the candidates were scored on (0 when none)' }),
    horizon: Type.Integer(),
    candidates: Type.Array(
      Type.Object({
        label: Type.String(),
        meanMase: Nullable(Type.Number()),
        meanMae: Nullable(Type.Number()),
        skipped: Type.Optional(Type.String({ description: 'Why the candidate was not scored' })),
      }),
    ),
  },
  { description: "auto's choice on the whole series: every candidate's backtest score, and why the one served won" },
);
export type AutoSelectionSummary = Static<typeof AutoSelectionSchema>;

/** Per quantile, the forecast's quantile at each step: `{ quantile: 0.1, values: [step 1, step 2, …] }`. */
export const ForecastIntervalsSchema = Type.Array(
  Type.Object({
    quantile: Type.Number(),
    values: Type.Array(Type.Number(), { description: 'One per forecast step, as long as `forecast`' }),
  }),
  { description: 'Quantiles of the forecast, ascending (the lowest and highest bound the band), calibrated on the model’s evaluation errors per step (split conformal)' },
);
export type ForecastIntervals = Static<typeof ForecastIntervalsSchema>;

export const UnavailableSchema = Type.Object(
  {
    intervals: Type.Optional(Type.String()),
    skill: Type.Optional(Type.String()),
  },
  { description: 'Why `intervals` or `skill` is null (absent when it is not)' },
);
export type Unavailable = Static<typeof UnavailableSchema>;

const MethodSchema = Type.String({
  description: 'What makes the forecasts: `lstm`, `linear`, or the fitted statistical method (`ets(damped)`; `auto: theta` for auto, naming its choice)',
});

export const PriceTrainResultSchema = Type.Object({
  modelId: Type.String(),
  name: Type.String(),
  version: Type.Integer(),
  kind: Type.Literal('price'),
  architecture: PriceArchitectureSchema,
  method: MethodSchema,
  metrics: PriceMetricsSchema,
  skill: Nullable(ForecastSkillSchema),
  backtest: Nullable(PriceBacktestSummarySchema),
  calibration: Nullable(IntervalCalibrationSchema),
  selection: Nullable(AutoSelectionSchema, "auto's choice; null for other architectures"),
  unavailable: UnavailableSchema,
  epochs: Type.Integer({ description: 'Epochs run (0 for the statistical architectures and linear)' }),
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
  method: MethodSchema,
  intervals: Nullable(ForecastIntervalsSchema),
  skill: Nullable(ForecastSkillSchema),
  unavailable: UnavailableSchema,
  cached: Type.Boolean({ description: 'Whether the worker had the model in memory' }),
  backend: Type.String(),
});
export type PricePredictResult = Static<typeof PricePredictResultSchema>;

/**
 * Fewest points a series needs for a model: the held-out tail plus what training needs (a
 * statistical architecture: what it fits on, and at least 2 points, which MASE's naive scale and
 * the holdout's linear baseline need). The API checks it to answer 400 at once; the model library
 * checks it again.
 */
export function requiredSeriesLength(architecture: PriceArchitecture, params: PriceParams | undefined, holdout: number | undefined): number {
  const held = holdout ?? horizonBounds.default;
  if (architecture === 'linear') return held + MIN_LINEAR_POINTS;
  if (architecture === 'lstm') return (params?.window ?? priceLstmDefaults.window) + held + MIN_TRAINING_WINDOWS;
  return held + Math.max(MIN_LINEAR_POINTS, statisticalFitPoints(architecture, params?.period));
}

/**
 * Fewest history values a forecast from given history needs: the LSTM's window, 2 for a linear
 * fit, what a statistical architecture fits on (it is refitted on the history).
 */
export function requiredHistoryLength(architecture: PriceArchitecture, params: { window?: unknown; period?: unknown }): number {
  if (architecture === 'lstm') return Number(params.window ?? priceLstmDefaults.window);
  if (architecture === 'linear') return MIN_LINEAR_POINTS;
  return statisticalFitPoints(architecture, typeof params.period === 'number' ? params.period : undefined);
}

/** What a price model's registry record holds besides every model's fields. */
export const priceRecordFields = {
  architecture: priceArchitectures,
  fields: {
    series: Type.String({ description: 'the series trained on' }),
    horizon: Type.Integer({ description: 'default forecast horizon' }),
    lastDate: Type.Union([Type.String(), Type.Null()], { description: 'last date of the training series' }),
    skill: Type.Optional(Nullable(ForecastSkillSchema, 'skill against the naive forecast (absent for models trained before it was measured)')),
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
  /** Undefined for every architecture but the LSTM: no tensors worth counting. */
  estimateTrainingMemory(payload: PriceTrainPayload, facts: PriceTrainingFacts, threads: number): MemoryEstimate | undefined {
    if ((payload.architecture ?? defaultPriceArchitecture) !== 'lstm') return undefined;
    return estimatePriceTraining({ params: payload.params, seriesLength: facts.seriesLength, holdout: payload.holdout ?? payload.horizon }, threads);
  },
} as const;
