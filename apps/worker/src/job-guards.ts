import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { TrainingCancelledError } from '@mlq/models';
import { isRetryable } from '@mlq/specs';
import { CANCELLED_REASON, cancelKey, redactPaths } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';

/** Reasons a worker aborts a job's signal with (`memory`: the memory guard, see memory-guard.ts). */
export const AbortReason = { cancelled: 'cancelled', shutdown: 'shutdown', memory: 'memory' } as const;

/** Payload schemas compiled once each: a compiled check is many times faster than walking the schema per job. */
const compiledChecks = new WeakMap<TSchema, TypeCheck<TSchema>>();

function compiledCheck(schema: TSchema): TypeCheck<TSchema> {
  let check = compiledChecks.get(schema);
  if (!check) compiledChecks.set(schema, (check = TypeCompiler.Compile(schema)));
  return check;
}

/** Checks `job.data` against its schema; a bad payload fails at once, without retries. */
export function parsePayload<S extends TSchema>(schema: S, job: Job): Static<S> {
  const data: unknown = Value.Default(schema, structuredClone(job.data));
  if (compiledCheck(schema).Check(data)) return data as Static<S>;
  const error = Value.Errors(schema, data).First();
  throw new UnrecoverableError(`invalid payload: ${error ? `${error.path || '/'} ${error.message}` : '/ does not match its schema'}`);
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
 * - a permanent failure (an `MlqError` that is not retryable: unknown model, dataset or series, a dataset of the
 *   wrong kind, too little data, bad params, a diverged training, a full store) → not retried: the same input
 *   would fail the same way;
 * - anything else (transient: a lost connection, a store I/O error) → rethrown, so BullMQ retries it with backoff.
 */
export async function settleFailure(error: unknown, job: Job, token: string | undefined, signal: AbortSignal | undefined): Promise<never> {
  if (signal?.aborted && signal.reason === AbortReason.shutdown) {
    await job.moveToWait(token);
    throw new WaitingError();
  }
  if (error instanceof TrainingCancelledError || (signal?.aborted && signal.reason === AbortReason.cancelled)) {
    throw new UnrecoverableError(CANCELLED_REASON);
  }
  // Whether a failure is permanent is a property of the error (`@mlq/specs`' taxonomy): bad params,
  // too little data, an unknown model or dataset, a full store would fail the same way again.
  if (!isRetryable(error)) throw new UnrecoverableError(redactPaths((error as Error).message));
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
