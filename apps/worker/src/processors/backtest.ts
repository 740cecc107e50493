import type { Job } from 'bullmq';
import { BacktestParentDataSchema, summarizeBacktest, type BacktestFoldResult, type BacktestResult } from '@mlq/jobs';
import { MlqError } from '@mlq/specs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { backtestProgress, foldStatesKey } from '../backtests/fold-progress.ts';

/**
 * The backtest parent runs once every fold has finished (failed folds are ignored by the flow):
 * it gathers the folds, summarises each method over them and states the model's skill against
 * naive. A cancelled backtest (its folds cancelled or removed) ends as cancelled; one with no
 * completed fold fails with the folds' reasons.
 */
export function createBacktestProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<BacktestResult> => {
    const data = parsePayload(BacktestParentDataSchema, job);
    try {
      await assertNotCancelled(ctx, job);
      const values = await job.getChildrenValues<BacktestFoldResult>();
      const failures = await job.getIgnoredChildrenFailures();
      const indexByJobId = new Map(Object.entries(data.children).map(([index, jobId]) => [jobId, index]));
      const indexOf = (childKey: string) => indexByJobId.get(childKey.split(':').at(-1)!) ?? childKey;
      const failed: Record<string, string> = {};
      for (const [key, reason] of Object.entries(failures)) failed[indexOf(key)] = reason;
      const completed = Object.values(values);
      const folds = Object.keys(data.children).length;
      const entries = Object.fromEntries([
        ...completed.map((fold) => [String(fold.index), JSON.stringify({ state: 'completed', modelMae: fold.model.scores.mae, naiveMae: fold.baselines.naive.scores.mae })]),
        ...Object.keys(failed).map((index) => [index, JSON.stringify({ state: 'failed' })]),
      ]);
      await job.updateProgress(backtestProgress(folds, entries));
      if (completed.length === 0) {
        const reasons = Object.entries(failed).map(([index, reason]) => `fold ${index}: ${reason}`);
        throw new MlqError('invalid', `no fold of the backtest completed (${reasons.join('; ') || 'every fold was removed'})`);
      }
      const result = summarizeBacktest(data, completed, failed);
      ctx.log.info({ jobId: job.id, folds: completed.length, failed: Object.keys(failed).length, relativeMase: result.skill.relativeMase, series: data.series }, 'backtest gathered');
      return result;
    } catch (error) {
      // Awaited here: a rejection left pending while the finally block awaits would be unhandled.
      return await settleFailure(error, job, token, signal);
    } finally {
      // The parent's progress now holds the final figures.
      await ctx.redis.del(foldStatesKey(ctx.config.QUEUE_PREFIX, job.id!)).catch(() => undefined);
    }
  };
}
