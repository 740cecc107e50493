import type { Job } from 'bullmq';
import { BacktestFoldPayloadSchema, type BacktestFoldResult } from '@mlq/jobs';
import { isRetryable } from '@mlq/specs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { JobCheckpoints } from '../training-checkpoints.ts';
import { priceProgressReporter } from '../families/price.ts';
import { runBacktestFold } from '../backtests/run-fold.ts';
import { reportFoldState } from '../backtests/fold-progress.ts';
import type { LiveLoopContext } from '../live/live-loop-context.ts';

/**
 * A backtest child: trains the specification on the points before its fold's origin, forecasts
 * the fold's horizon, scores it and the baselines, and reports its state on the parent's progress.
 */
export function createBacktestFoldProcessor(ctx: ProcessorContext, live: LiveLoopContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<BacktestFoldResult> => {
    const payload = parsePayload(BacktestFoldPayloadSchema, job);
    const report = (entry: Parameters<typeof reportFoldState>[6]) =>
      reportFoldState(ctx.redis, ctx.config.QUEUE_PREFIX, live.queues.batch, job, payload.folds, payload.fold.index, entry).catch((error: unknown) =>
        ctx.log.warn({ jobId: job.id, err: error }, 'backtest progress not published'),
      );
    const startedAt = Date.now();
    try {
      await assertNotCancelled(ctx, job);
      await report({ state: 'active' });
      const { collection } = await ctx.datasets.series(payload.dataset);
      const closes = collection.closes(payload.series);
      const dates = collection.dates(payload.series);
      // Like a batch child: one of many short trainings at once, checkpointed only when released.
      const checkpoints = await JobCheckpoints.open(ctx, job, signal, 'release-only');
      let result: BacktestFoldResult;
      try {
        result = await runBacktestFold(closes, dates, payload, {
          ...(signal ? { signal } : {}),
          onEpochEnd: priceProgressReporter(job, startedAt, checkpoints),
          checkpoint: checkpoints.hook,
          ...(checkpoints.resume ? { resumeFrom: checkpoints.resume.io } : {}),
        });
      } catch (error) {
        await checkpoints.failed(error);
        throw error;
      }
      await checkpoints.completed();
      await report({ state: 'completed', modelMae: result.model.scores.mae, naiveMae: result.baselines.naive.scores.mae });
      return result;
    } catch (error) {
      const final = !isRetryable(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1) || signal?.aborted === true;
      if (final && !(signal?.aborted && signal.reason === 'shutdown')) await report({ state: 'failed' });
      return settleFailure(error, job, token, signal);
    }
  };
}
