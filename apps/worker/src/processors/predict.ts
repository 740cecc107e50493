import type { Job } from 'bullmq';
import { loadPriceModel } from '@mlq/models';
import { PredictPayloadSchema, scopedArtifacts, type PredictResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { parsePayload, settleFailure } from '../job-guards.ts';
import { nextDates } from '../forecast-dates.ts';

/** Forecasts with a registered model, loading it into the cache on a miss. */
export function createPredictProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<PredictResult> => {
    const payload = parsePayload(PredictPayloadSchema, job);
    try {
      const record = await ctx.models.resolve(payload.model);
      const horizon = payload.horizon ?? record.horizon;
      const { value: forecast, hit } = await ctx.cache.use(
        record.id,
        async () => {
          const model = await loadPriceModel(scopedArtifacts(ctx.store, record.artifactPrefix));
          return { model, bytes: model.byteSize() };
        },
        (model) => model.forecast(horizon, payload.history),
      );
      const dated = !payload.history && record.lastDate && record.dateStepDays;
      return {
        modelId: record.id,
        name: record.name,
        version: record.version,
        horizon,
        forecast,
        dates: dated ? nextDates(record.lastDate!, record.dateStepDays!, horizon) : null,
        cached: hit,
        backend: ctx.backend.name,
      };
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
