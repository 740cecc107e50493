import type { Job } from 'bullmq';
import { BatchParentDataSchema, type BatchResult, type ForecastResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { parsePayload } from '../job-guards.ts';

/**
 * The batch parent runs once every child has finished (failed children are ignored by the
 * flow): it gathers each series' forecast, and each failure's reason.
 */
export function createBatchProcessor(ctx: ProcessorContext) {
  return async (job: Job): Promise<BatchResult> => {
    const data = parsePayload(BatchParentDataSchema, job);
    const values = await job.getChildrenValues<ForecastResult>();
    const failures = await job.getIgnoredChildrenFailures();
    const seriesByJobId = new Map(Object.entries(data.children).map(([series, jobId]) => [jobId, series]));
    const seriesOf = (childKey: string) => seriesByJobId.get(childKey.split(':').at(-1)!) ?? childKey;
    const forecasts: BatchResult['forecasts'] = {};
    for (const [key, value] of Object.entries(values)) forecasts[seriesOf(key)] = value;
    const failed: BatchResult['failed'] = {};
    for (const [key, reason] of Object.entries(failures)) failed[seriesOf(key)] = reason;
    ctx.log.info({ jobId: job.id, forecasts: Object.keys(forecasts).length, failed: Object.keys(failed).length }, 'batch gathered');
    return { forecasts, failed };
  };
}
