import { logDriftChange, ModelNotFoundError, type ActualsReader, type DatasetCatalog, type DriftEvaluation, type PriceModelRecord } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import type { LiveLoopContext } from './live-loop-context.ts';

/** A series' current actuals from the dataset catalog (uploads with their appended rows). */
export function catalogActuals(catalog: DatasetCatalog): ActualsReader {
  return async (dataset, series) => {
    const { collection } = await catalog.series(dataset);
    return { dates: collection.dates(series), closes: collection.closes(series) };
  };
}

/** A price model's forecast from the end of its training series, dated. */
export interface DatedForecast {
  forecast: number[];
  dates: string[];
}

/**
 * Records a forecast a price model made from the end of its series for its name's drift tracking,
 * then, when some of its dates already have actuals (a model older than the data), scores the
 * name again. Returns the evaluation when one ran.
 */
export async function recordModelForecast(ctx: ProcessorContext, live: LiveLoopContext, record: PriceModelRecord, prediction: DatedForecast): Promise<DriftEvaluation | undefined> {
  if (!record.lastDate || prediction.dates.length === 0) return undefined;
  await live.drift.record(record.name, {
    modelId: record.id,
    version: record.version,
    dataset: record.dataset,
    series: record.series,
    origin: record.lastDate,
    dates: prediction.dates,
    forecast: prediction.forecast,
    recordedAt: new Date().toISOString(),
  });
  const readActuals = catalogActuals(ctx.datasets);
  const known = await readActuals(record.dataset, record.series).then(
    (actuals) => actuals.dates.at(-1) ?? '',
    () => '',
  );
  if (prediction.dates[0]! > known) return undefined;
  const evaluation = await live.drift.evaluate(record.name, readActuals);
  logDriftChange(ctx.log, evaluation);
  return evaluation;
}

/**
 * After a `predict` job completed: a price forecast from the end of the model's series (dated, no
 * `history`) is recorded for drift tracking. Failures are logged, never the job's.
 */
export async function recordPredictionForecast(ctx: ProcessorContext, live: LiveLoopContext, data: unknown, result: unknown): Promise<void> {
  const prediction = result as { kind?: string; modelId?: string; forecast?: number[]; dates?: string[] | null } | undefined;
  if (prediction?.kind !== 'price' || !prediction.modelId || !prediction.dates || !prediction.forecast) return;
  if ((data as { history?: unknown } | undefined)?.history !== undefined) return;
  // The job just resolved it: from memory (a model deleted since is no longer found).
  const record = await ctx.references.resolve(prediction.modelId).then(
    ({ record }) => record,
    (error: unknown) => {
      if (error instanceof ModelNotFoundError) return undefined;
      throw error;
    },
  );
  if (record?.kind !== 'price') return;
  await recordModelForecast(ctx, live, record, { forecast: prediction.forecast, dates: prediction.dates });
}
