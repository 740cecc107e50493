import { Type, type Static } from '@sinclair/typebox';
import { HorizonSchema, PriceArchitectureSchema, PriceTrainPayloadSchema } from '@mlq/specs';

/**
 * Rolling-origin backtests as jobs: a parent `backtest` (batch queue) gathers one `backtest-fold`
 * child per origin (train queue), each of which trains the specification on the points before its
 * origin only and scores its forecast, and the naive, seasonal naive and drift baselines', on the
 * `horizon` points after it.
 */

/** Most folds one backtest may ask for (each is a training). */
export const MAX_BACKTEST_FOLDS = 50;
/** Folds, when the request names none: the "at least 5 origins". */
export const DEFAULT_BACKTEST_FOLDS = 5;
/** The quantiles of the baselines' conformal intervals: an 80% band and its median. */
export const BACKTEST_QUANTILES = [0.1, 0.5, 0.9] as const;

/**
 * A price model specification as `POST /v1/train` takes it (the price family's own schema, less
 * what only a training has: `kind`, `name`), so every architecture and param the family accepts is
 * accepted here, and nothing else.
 */
const PriceSpecificationSchema = Type.Omit(PriceTrainPayloadSchema, ['kind', 'name', 'horizon']);

export const BacktestPayloadSchema = Type.Composite(
  [
    Type.Object({ kind: Type.Optional(Type.Literal('price', { description: 'Model family; only price models are backtested' })) }),
    PriceSpecificationSchema,
    Type.Object({
      horizon: Type.Optional(HorizonSchema),
      folds: Type.Optional(
        Type.Integer({ minimum: 1, maximum: MAX_BACKTEST_FOLDS, default: DEFAULT_BACKTEST_FOLDS, description: `Forecast origins (folds). Default ${DEFAULT_BACKTEST_FOLDS}` }),
      ),
      step: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'Points between consecutive origins. Default: horizon (the test windows tile the tail)' })),
      seasonalPeriod: Type.Optional(
        Type.Integer({
          minimum: 2,
          maximum: 366,
          description: "Season of the seasonal naive baseline, in points. Default from the dates' spacing: 7 (daily), 52 (weekly), 12 (monthly), else 7",
        }),
      ),
    }),
  ],
  { additionalProperties: false },
);
export type BacktestPayload = Static<typeof BacktestPayloadSchema>;

/** One fold: train on points [0, trainEnd), forecast and score [trainEnd, testEnd). */
export const BacktestFoldSchema = Type.Object({
  index: Type.Integer({ description: '0 for the earliest origin' }),
  trainEnd: Type.Integer({ description: 'Points trained on (the origin)' }),
  testEnd: Type.Integer({ description: 'Exclusive end of the test window: trainEnd + horizon' }),
});
export type BacktestFold = Static<typeof BacktestFoldSchema>;

/** What a fold child gets: the specification, resolved, and its fold's fixed boundaries. */
export const BacktestFoldPayloadSchema = Type.Composite(
  [
    Type.Omit(PriceSpecificationSchema, ['architecture']),
    Type.Object({
      architecture: PriceArchitectureSchema,
      horizon: HorizonSchema,
      fold: BacktestFoldSchema,
      folds: Type.Integer({ minimum: 1, description: 'Folds of the whole backtest' }),
      seasonalPeriod: Type.Integer({ minimum: 2 }),
    }),
  ],
  { additionalProperties: false },
);
export type BacktestFoldPayload = Static<typeof BacktestFoldPayloadSchema>;

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const ForecastScoresSchema = Type.Object({
  mae: Type.Number(),
  rmse: Type.Number(),
  mape: Nullable(Type.Number({ description: 'Percent; null when an actual is 0' })),
  mase: Nullable(Type.Number({ description: "MAE over the in-sample one-step naive MAE of the fold's training part; null when that is 0" })),
});
export type ForecastScores = Static<typeof ForecastScoresSchema>;

export const FoldIntervalsSchema = Type.Object({
  quantiles: Type.Array(Type.Number()),
  lower: Type.Array(Type.Number()),
  upper: Type.Array(Type.Number()),
  coverage: Type.Number({ description: 'Share of the actuals inside [lower, upper]' }),
});

/** One method's forecast at one origin and how it scored. */
export const MethodFoldSchema = Type.Object({
  label: Type.String({ description: 'What was fitted, e.g. `lstm`, `seasonalNaive(7)`' }),
  forecast: Type.Array(Type.Number()),
  scores: ForecastScoresSchema,
  intervals: Nullable(FoldIntervalsSchema),
});
export type MethodFold = Static<typeof MethodFoldSchema>;

export const baselineNames = ['naive', 'seasonalNaive', 'drift'] as const;
export type BaselineName = (typeof baselineNames)[number];

export const BacktestFoldResultSchema = Type.Object({
  ...BacktestFoldSchema.properties,
  origin: Nullable(Type.String({ description: 'Date of the last point trained on' })),
  dates: Type.Array(Type.String(), { description: 'Dates of the test window' }),
  actual: Type.Array(Type.Number()),
  model: MethodFoldSchema,
  baselines: Type.Object({
    naive: MethodFoldSchema,
    seasonalNaive: Nullable(MethodFoldSchema),
    drift: Nullable(MethodFoldSchema),
  }),
  durationMs: Type.Number(),
});
export type BacktestFoldResult = Static<typeof BacktestFoldResultSchema>;

/** A method's scores over the folds: means of the fold scores, pooled interval coverage. */
export const MethodSummarySchema = Type.Object({
  mae: Type.Number(),
  rmse: Type.Number(),
  mape: Nullable(Type.Number()),
  mase: Nullable(Type.Number()),
  coverage: Nullable(Type.Number({ description: 'Share of all actuals inside the 80% interval; null without intervals' })),
  folds: Type.Integer({ description: 'Folds it was scored on' }),
});
export type MethodSummary = Static<typeof MethodSummarySchema>;

export const BacktestResultSchema = Type.Object({
  dataset: Type.String(),
  series: Type.String(),
  architecture: Type.String(),
  horizon: Type.Integer(),
  step: Type.Integer(),
  seasonalPeriod: Type.Integer(),
  seriesLength: Type.Integer({ description: 'Points of the series when the backtest was enqueued' }),
  folds: Type.Array(BacktestFoldResultSchema, { description: 'Completed folds, earliest origin first' }),
  failed: Type.Record(Type.String(), Type.String(), { description: 'Fold index → why it failed' }),
  summary: Type.Object({
    model: MethodSummarySchema,
    naive: MethodSummarySchema,
    seasonalNaive: Nullable(MethodSummarySchema),
    drift: Nullable(MethodSummarySchema),
  }),
  skill: Type.Object({
    relativeMase: Nullable(Type.Number({ description: "The model's mean MASE over naive's: below 1, better than naive" })),
    foldsBeatingNaive: Type.Integer({ description: 'Folds where the model’s MAE is below naive’s' }),
    beatsNaive: Nullable(Type.Boolean()),
  }),
});
export type BacktestResult = Static<typeof BacktestResultSchema>;

/** Data of the backtest parent job: the request resolved, and its children. */
export const BacktestParentDataSchema = Type.Object({
  dataset: Type.String(),
  series: Type.String(),
  architecture: Type.String(),
  horizon: Type.Integer(),
  step: Type.Integer(),
  seasonalPeriod: Type.Integer(),
  seriesLength: Type.Integer(),
  /** Fold index → child job id (in the `train` queue). */
  children: Type.Record(Type.String(), Type.String()),
});
export type BacktestParentData = Static<typeof BacktestParentDataSchema>;

/** A fold's place in the parent's progress. */
export type FoldState = 'waiting' | 'active' | 'completed' | 'failed';

/** What the parent job shows as progress while its folds run. */
export const BacktestProgressSchema = Type.Object({
  kind: Type.Literal('backtest'),
  folds: Type.Integer(),
  completed: Type.Integer(),
  failed: Type.Integer(),
  active: Type.Integer(),
  byFold: Type.Array(Type.Object({ index: Type.Integer(), state: Type.String(), modelMae: Type.Optional(Type.Number()), naiveMae: Type.Optional(Type.Number()) })),
});
export type BacktestProgress = Static<typeof BacktestProgressSchema>;

/**
 * Fold boundaries: origins `step` apart, the last test window ending at the series' end, earliest
 * first (as `rollingOrigins` in `@mlq/models` places them). Fixed when the backtest is enqueued, so
 * rows appended meanwhile change no fold.
 * @throws RangeError when the series cannot hold the folds with `minTrain` training points
 */
export function planBacktestFolds(length: number, options: { folds: number; horizon: number; step: number; minTrain: number }): BacktestFold[] {
  const { folds, horizon, step, minTrain } = options;
  const needed = requiredBacktestLength(options);
  if (length < needed) throw new RangeError(`${folds} folds of horizon ${horizon}, step ${step} and at least ${minTrain} training points need ${needed} points; the series has ${length}`);
  return Array.from({ length: folds }, (_, index) => {
    const trainEnd = length - horizon - (folds - 1 - index) * step;
    return { index, trainEnd, testEnd: trainEnd + horizon };
  });
}

/** Fewest points a backtest needs: the first fold's training, then (folds − 1) steps and a horizon. */
export function requiredBacktestLength(options: { folds: number; horizon: number; step: number; minTrain: number }): number {
  return options.minTrain + (options.folds - 1) * options.step + options.horizon;
}

const DAY_MS = 24 * 3600 * 1000;

/** The seasonal naive baseline's season from the dates' spacing: 7 for daily data, 52 weekly, 12 monthly, 4 quarterly, else 7. */
export function defaultSeasonalPeriod(dates: readonly string[]): number {
  const recent = dates.slice(-31);
  const gaps: number[] = [];
  for (let i = 1; i < recent.length; i++) gaps.push(Math.round((Date.parse(recent[i]!) - Date.parse(recent[i - 1]!)) / DAY_MS));
  gaps.sort((a, b) => a - b);
  const gap = gaps[Math.floor(gaps.length / 2)];
  if (gap === undefined || gap <= 1) return 7;
  if (gap >= 6 && gap <= 8) return 52;
  if (gap >= 28 && gap <= 31) return 12;
  if (gap >= 89 && gap <= 92) return 4;
  return 7;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Means over the folds that define each score; coverage pooled over every actual of the folds with intervals. */
export function summarizeMethod(folds: readonly MethodFold[]): MethodSummary {
  const defined = (pick: (scores: ForecastScores) => number | null) => folds.map((fold) => pick(fold.scores)).filter((value): value is number => value !== null);
  const withIntervals = folds.filter((fold) => fold.intervals !== null);
  const points = withIntervals.reduce((sum, fold) => sum + fold.forecast.length, 0);
  const inside = withIntervals.reduce((sum, fold) => sum + fold.intervals!.coverage * fold.forecast.length, 0);
  return {
    mae: mean(folds.map((fold) => fold.scores.mae)) ?? 0,
    rmse: mean(folds.map((fold) => fold.scores.rmse)) ?? 0,
    mape: mean(defined((s) => s.mape)),
    mase: mean(defined((s) => s.mase)),
    coverage: points === 0 ? null : inside / points,
    folds: folds.length,
  };
}

/**
 * The backtest's result from its completed folds (in any order) and the failed ones' reasons:
 * each method's summary over the same folds, and the model's skill against naive.
 */
export function summarizeBacktest(data: BacktestParentData, completed: readonly BacktestFoldResult[], failed: Record<string, string>): BacktestResult {
  const folds = [...completed].sort((a, b) => a.index - b.index);
  const baseline = (name: BaselineName) => {
    const scored = folds.map((fold) => fold.baselines[name]).filter((fold): fold is MethodFold => fold !== null);
    return scored.length === 0 ? null : summarizeMethod(scored);
  };
  const model = summarizeMethod(folds.map((fold) => fold.model));
  const naive = summarizeMethod(folds.map((fold) => fold.baselines.naive));
  const relativeMase = model.mase !== null && naive.mase !== null && naive.mase > 0 ? model.mase / naive.mase : null;
  return {
    dataset: data.dataset,
    series: data.series,
    architecture: data.architecture,
    horizon: data.horizon,
    step: data.step,
    seasonalPeriod: data.seasonalPeriod,
    seriesLength: data.seriesLength,
    folds,
    failed,
    summary: { model, naive, seasonalNaive: baseline('seasonalNaive'), drift: baseline('drift') },
    skill: {
      relativeMase,
      foldsBeatingNaive: folds.filter((fold) => fold.model.scores.mae < fold.baselines.naive.scores.mae).length,
      beatsNaive: relativeMase === null ? null : relativeMase < 1,
    },
  };
}
