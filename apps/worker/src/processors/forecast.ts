import type { Job } from 'bullmq';
import { trainPriceModel } from '@mlq/models';
import { ForecastPayloadSchema, type ForecastResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { nextDates, typicalStepDays } from '../forecast-dates.ts';
import { JobCheckpoints } from '../training-checkpoints.ts';
import { priceProgressReporter } from '../families/price.ts';

/** A batch child, the talk's per-coin task: train on one series, forecast it (with intervals and skill), return the numbers. */
export function createForecastProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<ForecastResult> => {
    const payload = parsePayload(ForecastPayloadSchema, job);
    const startedAt = Date.now();
    try {
      await assertNotCancelled(ctx, job);
      const { collection } = await ctx.datasets.series(payload.dataset);
      const closes = collection.closes(payload.series);
      const dates = collection.dates(payload.series);
      // A batch child is a short training (seconds to a minute), one of many running at once:
      // it writes a checkpoint only when a worker shutting down releases it (so scale-in loses no
      // epoch), not at every epoch end (hundreds of children would write their weights and
      // optimizer state every few seconds for little gain: a crash costs one child's re-run).
      const checkpoints = await JobCheckpoints.open(ctx, job, signal, 'release-only');
      let result: ForecastResult;
      try {
        const model = await trainPriceModel(closes, {
          kind: payload.architecture,
          horizon: payload.horizon,
          ...(payload.params ? { params: payload.params } : {}),
          ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
          ...(signal ? { signal } : {}),
          ...(checkpoints.resume ? { resumeFrom: checkpoints.resume.io } : {}),
          checkpoint: checkpoints.hook,
          onEpochEnd: priceProgressReporter(job, startedAt, checkpoints),
        });
        try {
          const lastDate = dates.at(-1)!;
          // Returns to the event loop between steps: a 365-step forecast with a 365-point window
          // takes about a minute on wasm, longer than the job lock.
          const { forecast, method, intervals, skill, unavailable } = await model.forecastWithIntervals(payload.horizon, undefined, signal ? { signal } : {});
          result = {
            series: payload.series,
            forecast,
            dates: nextDates(lastDate, typicalStepDays(dates) ?? 1, payload.horizon),
            lastDate,
            lastClose: closes.at(-1)!,
            metrics: model.metrics,
            method,
            intervals,
            skill,
            unavailable,
            durationMs: Date.now() - startedAt,
            ...checkpoints.resumedFrom,
          };
        } finally {
          model.dispose();
        }
      } catch (error) {
        await checkpoints.failed(error);
        throw error;
      }
      await checkpoints.completed();
      return result;
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
