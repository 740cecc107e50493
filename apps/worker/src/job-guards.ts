import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ModelError, TrainingCancelledError } from '@mlq/models';
import { DatasetParseError, UnknownSeriesError } from '@mlq/datasets';
import { CANCELLED_REASON, cancelKey, DatasetKindError, DatasetNotFoundError, ModelNotFoundError } from '@mlq/jobs';
import { redactPaths, StoreQuotaExceededError } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';

/** Reasons a worker aborts a job's signal with (`memory`: the memory guard, see memory-guard.ts). */
export const AbortReason = { cancelled: 'cancelled', shutdown: 'shutdown', memory: 'memory' } as const;

/** Checks `job.data` against its schema; a bad payload fails at once, without retries. */
export function parsePayload<S extends TSchema>(schema: S, job: Job): Static<S> {
  const data = Value.Default(schema, structuredClone(job.data));
  const error = Value.Errors(schema, data).First();
  if (error) throw new UnrecoverableError(`invalid payload: ${error.path || '/'} ${error.message}`);
  return data as Static<S>;
}

/** A job the API marked cancelled before this worker took it. */
export async function assertNotCancelled(ctx: ProcessorContext, job: Job): Promise<void> {
  if (await ctx.redis.exists(cancelKey(ctx.config.QUEUE_PREFIX, job.id!))) {
    throw new UnrecoverableError(CANCELLED_REASON);
  }
}

/**
 * Translates what a processor threw into BullMQ's terms:
 * - cancelled by a user → UnrecoverableError('cancelled'): failed, not retried, shown as cancelled;
 * - aborted by shutdown → the job goes back to the wait list for another worker (no attempt spent);
 * - bad input (unknown model, dataset or series, a dataset of the wrong kind, too little data, bad params, a diverged
 *   training) → not retried: the same input would fail the same way;
 * - anything else → rethrown, so BullMQ retries it with backoff.
 */
export async function settleFailure(error: unknown, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<never> {
  if (signal?.aborted && signal.reason === AbortReason.shutdown) {
    await job.moveToWait(token);
    throw new WaitingError();
  }
  if (error instanceof TrainingCancelledError || (signal?.aborted && signal.reason === AbortReason.cancelled)) {
    throw new UnrecoverableError(CANCELLED_REASON);
  }
  if (
    error instanceof ModelError ||
    error instanceof DatasetParseError ||
    error instanceof UnknownSeriesError ||
    error instanceof DatasetNotFoundError ||
    error instanceof DatasetKindError ||
    error instanceof ModelNotFoundError ||
    // A full store stays full until someone deletes: retrying would only repeat the training.
    error instanceof StoreQuotaExceededError
  ) {
    throw new UnrecoverableError(redactPaths((error as Error).message));
  }
  throw withRedactedMessage(error);
}

/**
 * BullMQ shows an error's message as the job's failure reason (GET /v1/jobs/:id): strip file
 * system paths from it (an ENOENT from a library, say), keeping the error's class for retries.
 */
export function withRedactedMessage(error: unknown): unknown {
  if (error instanceof Error) error.message = redactPaths(error.message);
  return error;
}
