import type { Job } from 'bullmq';
import { trainPriceModel } from '@mlq/models';
import { ForecastPayloadSchema, type ForecastResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { nextDates, typicalStepDays } from '../forecast-dates.ts';
import { progressReporter } from './train-price.ts';

/** A batch child, the talk's per-coin task: train on one series, forecast it, return the numbers. */
export function createForecastProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<ForecastResult> => {
    const payload = parsePayload(ForecastPayloadSchema, job);
    const startedAt = Date.now();
    try {
      await assertNotCancelled(ctx, job);
      const { collection } = await ctx.datasets.series(payload.dataset);
      const closes = collection.closes(payload.series);
      const dates = collection.dates(payload.series);
      const model = await trainPriceModel(closes, {
        kind: payload.architecture,
        horizon: payload.horizon,
        ...(payload.params ? { params: payload.params } : {}),
        ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
        ...(signal ? { signal } : {}),
        onEpochEnd: progressReporter(job, startedAt),
      });
      try {
        const lastDate = dates.at(-1)!;
        return {
          series: payload.series,
          forecast: model.forecast(payload.horizon),
          dates: nextDates(lastDate, typicalStepDays(dates) ?? 1, payload.horizon),
          lastDate,
          lastClose: closes.at(-1)!,
          metrics: model.metrics,
          durationMs: Date.now() - startedAt,
        };
      } finally {
        model.dispose();
      }
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
