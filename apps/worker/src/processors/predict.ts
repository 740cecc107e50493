import { UnrecoverableError, type Job } from 'bullmq';
import { checkPredictFields, PredictPayloadSchema, type PredictResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { parsePayload, settleFailure } from '../job-guards.ts';
import { workerFamilyOf } from '../families/index.ts';

/** `predict` jobs: resolves the model, checks the payload fits its kind, and runs that family's prediction. */
export function createPredictProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<PredictResult> => {
    const payload = parsePayload(PredictPayloadSchema, job);
    try {
      // From memory when this worker resolved it before (valid: the registry's generation was read as this job started).
      const { record } = await ctx.references.resolve(payload.model);
      const misfit = checkPredictFields(record.kind, payload);
      if (misfit) throw new UnrecoverableError(`invalid payload: ${misfit.message}`);
      return await workerFamilyOf(record.kind).predict(ctx, job, record, payload, signal);
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
