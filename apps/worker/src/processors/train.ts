import { UnrecoverableError, type Job } from 'bullmq';
import { modelKinds, trainPayloadVariant, type TrainPayload, type TrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { trainPrice } from './train-price.ts';
import { trainTextGen } from './train-textgen.ts';
import { trainSeq2Seq } from './train-seq2seq.ts';

/** `train` jobs: checks the payload against its kind's schema, then trains that model family. */
export function createTrainProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<TrainResult> => {
    const kind = (job.data as { kind?: unknown } | undefined)?.kind;
    const variant = trainPayloadVariant(kind);
    if (!variant) throw new UnrecoverableError(`invalid payload: /kind must be one of ${modelKinds.join(', ')}, got ${JSON.stringify(kind)}`);
    const payload = parsePayload(variant, job) as TrainPayload;
    try {
      await assertNotCancelled(ctx, job);
      switch (payload.kind) {
        case 'price':
          return await trainPrice(ctx, job, payload, signal);
        case 'textgen':
          return await trainTextGen(ctx, job, payload, signal);
        case 'seq2seq':
          return await trainSeq2Seq(ctx, job, payload, signal);
      }
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
