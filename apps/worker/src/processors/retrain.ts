import { createHash } from 'node:crypto';
import { WaitingChildrenError, type Job } from 'bullmq';
import { jobCatalog, QueueName, RetrainDataSchema, trainingUses, type DriftState, type RetrainResult, type ScheduleRun, type TrainResult } from '@mlq/jobs';
import { isRetryable, MlqError } from '@mlq/specs';
import type { ProcessorContext } from '../context.ts';
import { parsePayload, settleFailure } from '../job-guards.ts';
import { workerFamilyOf } from '../families/index.ts';
import type { LiveLoopContext } from '../live/live-loop-context.ts';
import { recordModelForecast } from '../live/forecast-recording.ts';

/** States in which a schedule's previous training still runs (or waits to). */
const unfinished = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

/** The training of a retrain job: derived from its id, so a retried tick adds the same job, not a second one. */
const trainJobIdOf = (retrainJobId: string) => `tr_${createHash('sha256').update(retrainJobId).digest('hex').slice(0, 20)}`;

/**
 * A schedule's tick (`retrain`, produced by its BullMQ job scheduler on the batch queue), in two
 * steps: it enqueues the training (a `train` job recorded as a user of its dataset, a child of this
 * job) and waits for it without holding a worker slot (BullMQ's waiting-children state); once the
 * training has ended, it runs again, records the new price model's forecast for drift tracking and
 * scores the name. A tick while the previous training still runs is skipped.
 */
export function createRetrainProcessor(ctx: ProcessorContext, live: LiveLoopContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<RetrainResult> => {
    const data = parsePayload(RetrainDataSchema, job);
    // When the tick was due: BullMQ names a scheduler's jobs `repeat:<scheduler id>:<due time ms>`.
    const due = Number(job.id!.split(':').at(-1));
    const run = (fields: Partial<ScheduleRun>): ScheduleRun => ({
      jobId: job.id!,
      at: new Date(Number.isFinite(due) && due > 0 ? due : job.timestamp).toISOString(),
      state: 'training',
      trainJobId: data.trainJobId ?? null,
      modelId: null,
      version: null,
      error: null,
      ...fields,
    });
    const outcome = (fields: Partial<RetrainResult>): RetrainResult => ({
      scheduleId: data.scheduleId,
      trainJobId: data.trainJobId ?? null,
      skipped: null,
      modelId: null,
      name: null,
      version: null,
      forecastRecorded: false,
      drift: null,
      ...fields,
    });
    try {
      if (!data.trainJobId) {
        const previous = (await live.runs.list(data.scheduleId, 1))[0];
        if (previous?.trainJobId && previous.jobId !== job.id) {
          const state = await (await live.queues.train.getJob(previous.trainJobId))?.getState();
          if (state && unfinished.has(state)) {
            const skipped = `the previous run's training ${previous.trainJobId} is still ${state}`;
            await live.runs.record(data.scheduleId, run({ state: 'skipped', error: skipped }));
            ctx.log.info({ jobId: job.id, scheduleId: data.scheduleId, skipped }, 'scheduled run skipped');
            return outcome({ skipped });
          }
        }
        const trainJobId = trainJobIdOf(job.id!);
        await live.usage.enqueue({ queue: QueueName.train, id: trainJobId }, trainingUses(data.train), () =>
          live.queues.train.add('train', data.train, {
            ...jobCatalog.train.options,
            jobId: trainJobId,
            parent: { id: job.id!, queue: job.queueQualifiedName },
            ignoreDependencyOnFailure: true,
          }),
        );
        data.trainJobId = trainJobId;
        await job.updateData(data);
        await live.runs.record(data.scheduleId, run({}));
        ctx.log.info({ jobId: job.id, scheduleId: data.scheduleId, trainJobId }, 'scheduled training enqueued');
      }
      if (await job.moveToWaitingChildren(token!)) throw new WaitingChildrenError();

      const trainJobId = data.trainJobId;
      const values = await job.getChildrenValues<TrainResult>();
      const result = Object.entries(values).find(([key]) => key.endsWith(`:${trainJobId}`))?.[1];
      if (!result) {
        const reason = Object.values(await job.getIgnoredChildrenFailures())[0] ?? 'the training job was removed';
        throw new MlqError('invalid', `the scheduled training ${trainJobId} failed: ${reason}`);
      }
      let drift: DriftState | null = null;
      let forecastRecorded = false;
      if (result.kind === 'price') {
        const record = await ctx.models.get(result.modelId);
        if (record?.kind === 'price' && record.lastDate && record.dateStepDays) {
          const prediction = await workerFamilyOf('price').predict(ctx, job, record, { model: record.id, horizon: record.horizon }, signal);
          if (prediction.dates) {
            await recordModelForecast(ctx, live, record, { forecast: prediction.forecast, dates: prediction.dates });
            forecastRecorded = true;
            drift = (await live.drift.state(record.name)) ?? null;
          }
        }
      }
      await live.runs.record(data.scheduleId, run({ state: 'completed', modelId: result.modelId, version: result.version }));
      return outcome({ trainJobId, modelId: result.modelId, name: result.name, version: result.version, forecastRecorded, drift });
    } catch (error) {
      if (error instanceof WaitingChildrenError) throw error;
      const final = !isRetryable(error) || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (final && !signal?.aborted) {
        await live.runs.record(data.scheduleId, run({ state: 'failed', error: (error as Error).message })).catch(() => undefined);
      }
      return settleFailure(error, job, token, signal);
    }
  };
}
