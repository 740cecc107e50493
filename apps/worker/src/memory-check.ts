import { UnrecoverableError, type Job } from 'bullmq';
import { checkTrainingMemory, modelKinds, readTrainingFacts, type MemoryLimits, type TrainingFacts, type TrainPayload } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';

/** How the worker treats a training its estimate says does not fit: refuse it, or log and train anyway. */
export type MemoryCheckMode = 'enforce' | 'warn';

/** The payload of a `train`, `forecast` or `backtest-fold` job as a training payload, or undefined when it is not one (the processor rejects it). */
function asTraining(job: Job): { payload: TrainPayload; forecast: boolean } | undefined {
  const data = job.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object') return undefined;
  if (job.name === 'forecast') return { payload: { kind: 'price', ...data, horizon: data.horizon } as TrainPayload, forecast: true };
  if (job.name === 'backtest-fold') {
    const { dataset, series, architecture, params, holdout, horizon } = data;
    return { payload: { kind: 'price', dataset, series, architecture, params, holdout, horizon } as TrainPayload, forecast: true };
  }
  if (job.name === 'train' && (modelKinds as readonly unknown[]).includes(data.kind)) return { payload: data as TrainPayload, forecast: false };
  return undefined;
}

/**
 * The API's check again, with this worker's own limits, before a training starts: a training that
 * does not fit fails for good with the same message. Facts that cannot be read (unknown dataset or
 * series) are left to the processor, which fails with its own clear reason.
 */
export async function checkJobMemory(ctx: ProcessorContext, job: Job, limits: MemoryLimits, mode: MemoryCheckMode): Promise<void> {
  const training = asTraining(job);
  if (!training) return;
  let facts: TrainingFacts;
  try {
    facts = await readTrainingFacts(training.payload, ctx.datasets);
  } catch {
    return;
  }
  // Batch and backtest children train on one thread (processors/forecast.ts, backtest-fold.ts).
  const refusal = checkTrainingMemory(training.payload, facts, training.forecast ? { ...limits, threads: 1 } : limits);
  if (!refusal) return;
  if (mode === 'warn') {
    ctx.log.warn(
      { jobId: job.id, estimateBytes: refusal.estimateBytes, limitBytes: refusal.limitBytes, limit: refusal.limit },
      `training anyway (TRAINING_MEMORY_CHECK=warn): ${refusal.message}`,
    );
    return;
  }
  throw new UnrecoverableError(refusal.message);
}
