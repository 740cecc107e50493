import { Type, type Static } from '@sinclair/typebox';
import {
  ForecastIntervalsSchema,
  ForecastSkillSchema,
  HorizonSchema,
  Id,
  PriceArchitectureSchema,
  PriceMetricsSchema,
  PriceParamsSchema,
  ResumedFromFields,
  SeedSchema,
  UnavailableSchema,
} from '@mlq/specs';

/**
 * The contract between producer and consumer for jobs that are not one family's training or
 * prediction: the batch of per-series forecasts. Each family's payloads and results are in its
 * spec (`@mlq/specs`, `src/families/<kind>.ts`), and their unions are built from the list there.
 */

/** A batch child: train on one series and forecast it (the talk's per-coin task). */
export const ForecastPayloadSchema = Type.Object(
  {
    dataset: Id('Dataset id'),
    series: Id('Series name'),
    architecture: PriceArchitectureSchema,
    params: Type.Optional(PriceParamsSchema),
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
  method: Type.String({ description: 'What made the forecast: `lstm`, `linear` or the fitted statistical method (`auto: naive`)' }),
  intervals: Type.Union([ForecastIntervalsSchema, Type.Null()]),
  skill: Type.Union([ForecastSkillSchema, Type.Null()]),
  unavailable: UnavailableSchema,
  durationMs: Type.Number(),
  ...ResumedFromFields,
});
export type ForecastResult = Static<typeof ForecastResultSchema>;

export const BatchPayloadSchema = Type.Object(
  {
    dataset: Id('Dataset id, e.g. `crypto-top100`'),
    series: Type.Optional(Type.Array(Id('Series name'), { minItems: 1, maxItems: 1000, uniqueItems: true, description: 'Default: every series of the dataset long enough for the model' })),
    architecture: Type.Optional(PriceArchitectureSchema),
    params: Type.Optional(PriceParamsSchema),
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
