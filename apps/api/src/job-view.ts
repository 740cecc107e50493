import { Type, type Static } from '@sinclair/typebox';
import type { Job, JobState, Queue } from 'bullmq';
import { CANCELLED_REASON, parseJobId, type QueueName } from '@mlq/jobs';
import { HttpError } from './plugins/errors.ts';
import { viewStates } from './job-states.ts';

export const JobStateSchema = Type.Union(viewStates.map((s) => Type.Literal(s)));
export type JobViewState = Static<typeof JobStateSchema>;

export const JobViewSchema = Type.Object(
  {
    id: Type.String(),
    queue: Type.String(),
    name: Type.String({ description: 'Job kind: train, predict, forecast (batch child), batch, backtest, backtest-fold (backtest child) or retrain (a schedule’s run)' }),
    state: JobStateSchema,
    progress: Type.Unknown({
      description:
        'Training, by kind: price { epoch, epochs, loss, valLoss, etaMs }; textgen { epoch, step, steps, loss, bitsPerChar, checkpointStep, resumedFromStep, lastEpoch: { valBitsPerChar, sample, … }, etaMs }; seq2seq { epoch, loss, valLoss, tokenAccuracy, probes: [{ input, reply }], etaMs }; a backtest { kind: backtest, folds, completed, failed, active, byFold: [{ index, state, modelMae, naiveMae }] }',
    }),
    attempts: Type.Object({ made: Type.Integer(), max: Type.Integer() }),
    data: Type.Unknown({ description: 'The payload as enqueued' }),
    result: Type.Unknown({ description: 'Present once completed' }),
    error: Type.Union([Type.String(), Type.Null()], { description: 'Why it failed' }),
    createdAt: Type.String(),
    startedAt: Type.Union([Type.String(), Type.Null()]),
    finishedAt: Type.Union([Type.String(), Type.Null()]),
    parent: Type.Union([Type.String(), Type.Null()], { description: 'Parent job id: the batch of a batch child, the backtest of a fold, the scheduled run of a training' }),
  },
  { $id: 'Job' },
);
export type JobView = Static<typeof JobViewSchema>;

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

export function viewState(state: JobState | 'unknown', failedReason: string | undefined): JobViewState {
  if (state === 'failed' && failedReason === CANCELLED_REASON) return 'cancelled';
  return state;
}

export function toJobView(job: Job, queue: QueueName, state: JobState | 'unknown'): JobView {
  return {
    id: job.id!,
    queue,
    name: job.name,
    state: viewState(state, job.failedReason),
    progress: job.progress ?? null,
    attempts: { made: job.attemptsMade, max: job.opts.attempts ?? 1 },
    data: job.data,
    result: job.returnvalue ?? null,
    error: job.failedReason ?? null,
    createdAt: new Date(job.timestamp).toISOString(),
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    parent: job.parent?.id ?? null,
  };
}

/**
 * The job's state, and its hash as of that state. `getJob` and `getState` are two reads: a job that
 * finished between them would show a finished state beside the hash from before (no result, its
 * attempt not counted), so such a hash is read again.
 */
export async function withCurrentState(queue: Queue, job: Job): Promise<{ job: Job; state: JobState | 'unknown' }> {
  const state = await job.getState();
  if ((state === 'completed' || state === 'failed') && !job.finishedOn) {
    const fresh = await queue.getJob(job.id!);
    if (fresh) return { job: fresh, state };
  }
  return { job, state };
}

/** Finds a job by id in the queue its prefix names, or answers 404. */
export async function findJob(queues: Record<QueueName, Queue>, id: string): Promise<{ job: Job; queue: QueueName }> {
  const located = parseJobId(id);
  const job = located ? await queues[located.queue].getJob(id) : undefined;
  if (!located || !job) throw new HttpError(404, `job not found: ${id}`);
  return { job, queue: located.queue };
}
