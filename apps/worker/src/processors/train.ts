import { UnrecoverableError, type Job } from 'bullmq';
import { modelKinds, trainPayloadVariant, type TrainPayload, type TrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { workerFamilyOf } from '../families/index.ts';

/** `train` jobs: checks the payload against its kind's schema, then trains that model family. */
export function createTrainProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<TrainResult> => {
    const kind = (job.data as { kind?: unknown } | undefined)?.kind;
    const variant = trainPayloadVariant(kind);
    if (!variant) throw new UnrecoverableError(`invalid payload: /kind must be one of ${modelKinds.join(', ')}, got ${JSON.stringify(kind)}`);
    const payload = parsePayload(variant, job) as TrainPayload;
    try {
      await assertNotCancelled(ctx, job);
      return await workerFamilyOf(payload.kind).train(ctx, job, payload, signal);
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
