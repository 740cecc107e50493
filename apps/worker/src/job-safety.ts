import { UnrecoverableError, WaitingError, type Job, type Processor } from 'bullmq';
import type { MemoryLimits, QueueName } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import type { CrashAccounting } from './crash-accounting.ts';
import { AbortReason } from './job-guards.ts';
import { checkJobMemory, type MemoryCheckMode } from './memory-check.ts';
import type { MemoryGuard } from './memory-guard.ts';
import { isWasmHeapFailure, type BackendHealth } from './wasm-failure.ts';

/** What every job of a worker runs under: crash accounting, the memory check and guard, the backend's health. */
export interface JobSafety {
  ctx: ProcessorContext;
  health: BackendHealth;
  crashes: CrashAccounting;
  guard: MemoryGuard;
  limits: MemoryLimits;
  memoryCheck: MemoryCheckMode;
  /** Called once, when a job broke the tfjs backend: the process must stop taking jobs and exit. */
  onBackendFailure(reason: string): void;
}

const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Wraps a queue's processor:
 * - records the run for crash accounting (a poison job fails here, before it runs);
 * - on the train queue, checks the training's memory estimate against this worker's limits and
 *   watches the process' memory while it runs (past the limit the training is aborted and fails
 *   for good, "exceeded the memory budget…");
 * - a wasm heap failure fails the job that caused it for good, marks the backend unusable and
 *   asks the process to exit; jobs that meet the broken backend afterwards are released to other
 *   workers, not failed.
 * `prepare` (optional) runs before the processor, its commands sent together with the crash
 * accounting's, so both take one round trip (the predict queue reads the model registry's
 * generation there: see `ModelReferences`). The run record is cleared when the job ends without
 * waiting for Redis' answer: the job's own completion follows it on another connection.
 */
export function withJobSafety(queue: QueueName, processor: Processor, safety: JobSafety, prepare?: () => Promise<void>): Processor {
  const { ctx } = safety;
  // Declares three parameters: BullMQ passes the AbortSignal only to processors that take one.
  return async (job: Job, token?: string, signal?: AbortSignal) => {
    if (!safety.health.usable) return release(job, token);
    const preparing = prepare?.();
    // Awaited in the try below; a failure there must not be reported as unhandled meanwhile.
    preparing?.catch(() => undefined);
    const run = await safety.crashes.begin(job);
    if (run.crashedWorkers.length > 0) {
      ctx.log.warn({ jobId: job.id, queue, crashedWorkers: run.crashedWorkers }, 'running a job again: worker processes died (or lost its lock) running it before');
    }
    let settled = false;
    let memoryDetail: string | undefined;
    // Only trainings are watched for memory: other jobs get the worker's signal as it is.
    const memory = queue === 'train' ? new AbortController() : undefined;
    const stopWatching = memory
      ? safety.guard.watch(job.id!, (detail) => {
          memoryDetail = detail;
          ctx.log.warn({ jobId: job.id, queue, detail }, 'aborting a training: past the memory limit');
          memory.abort(AbortReason.memory);
        })
      : undefined;
    try {
      await preparing;
      if (memory) await checkJobMemory(ctx, job, safety.limits, safety.memoryCheck);
      const jobSignal = memory ? (signal ? AbortSignal.any([signal, memory.signal]) : memory.signal) : signal;
      const result: unknown = await processor(job, token, jobSignal);
      settled = true;
      return result;
    } catch (error) {
      if (memoryDetail !== undefined) {
        settled = true;
        throw new UnrecoverableError(
          `exceeded the memory budget: ${memoryDetail}; this training needs more memory than this worker gives one ` +
            '(TRAINING_MEMORY_BUDGET_BYTES, WORKER_MEMORY_BYTES): lower its batchSize, window or seqLength, units or vocabulary',
        );
      }
      if (isWasmHeapFailure(error)) {
        if (!safety.health.markFailed(errorMessage(error))) return release(job, token);
        settled = true;
        safety.onBackendFailure(errorMessage(error));
        throw new UnrecoverableError(
          `the WebAssembly heap failed running this job (${errorMessage(error)}): it needs more memory than a wasm heap holds (4 GiB); ` + 'lower its size. Not retried; the worker restarts',
        );
      }
      settled = error instanceof UnrecoverableError;
      throw error;
    } finally {
      stopWatching?.();
      safety.crashes.end(job, settled).catch((error: unknown) => ctx.log.warn({ jobId: job.id, err: error }, 'run record not cleared'));
    }
  };
}

/** Hands a job back to the queue for another worker (no attempt spent): this process can no longer run models. */
async function release(job: Job, token: string | undefined): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
