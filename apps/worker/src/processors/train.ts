import type { Job } from 'bullmq';
import { trainPriceModel, type TrainProgress as ModelProgress } from '@mlq/models';
import { scopedArtifacts, TrainPayloadSchema, type TrainProgress, type TrainResult } from '@mlq/jobs';
import type { ProcessorContext } from '../context.ts';
import { assertNotCancelled, parsePayload, settleFailure } from '../job-guards.ts';
import { typicalStepDays } from '../forecast-dates.ts';

/** Reports each epoch as job progress, with an ETA from the mean epoch time so far. */
export function progressReporter(job: Job, startedAt: number) {
  return async (p: ModelProgress) => {
    const perEpoch = (Date.now() - startedAt) / p.epoch;
    const progress: TrainProgress = { ...p, etaMs: Math.round(perEpoch * (p.epochs - p.epoch)) };
    await job.updateProgress(progress);
  };
}

/** Trains a price model on one series, stores and registers it, and keeps it hot in the cache. */
export function createTrainProcessor(ctx: ProcessorContext) {
  return async (job: Job, token?: string, signal?: AbortSignal): Promise<TrainResult> => {
    const payload = parsePayload(TrainPayloadSchema, job);
    const startedAt = Date.now();
    try {
      await assertNotCancelled(ctx, job);
      const architecture = payload.architecture ?? 'lstm';
      const { collection } = await ctx.datasets.series(payload.dataset);
      const closes = collection.closes(payload.series);
      const dates = collection.dates(payload.series);
      const model = await trainPriceModel(closes, {
        kind: architecture,
        ...(payload.params ? { params: payload.params } : {}),
        ...(payload.horizon !== undefined ? { horizon: payload.horizon } : {}),
        ...(payload.holdout !== undefined ? { holdout: payload.holdout } : {}),
        ...(payload.seed !== undefined ? { seed: payload.seed } : {}),
        ...(signal ? { signal } : {}),
        onEpochEnd: progressReporter(job, startedAt),
      });
      try {
        // Derived from the job id, so a retried job registers the same model, not a second one.
        const modelId = `m_${job.id}`;
        const artifactPrefix = `models/${modelId}`;
        await model.save(scopedArtifacts(ctx.store, artifactPrefix));
        const record = await ctx.models.register({
          id: modelId,
          name: payload.name ?? `${payload.dataset}-${payload.series}-${architecture}`.replace(/[^A-Za-z0-9._-]+/g, '-'),
          kind: 'price',
          architecture,
          dataset: payload.dataset,
          series: payload.series,
          params: model.params as unknown as Record<string, unknown>,
          metrics: model.metrics as unknown as Record<string, unknown>,
          horizon: model.metadata.horizon,
          lastDate: dates.at(-1) ?? null,
          dateStepDays: typicalStepDays(dates),
          artifactStore: ctx.store.location,
          artifactPrefix,
          byteSize: model.byteSize(),
          backend: ctx.backend.name,
          trainJobId: job.id!,
        });
        if (!ctx.cache.add(record.id, model, model.byteSize())) model.dispose();
        ctx.log.info({ jobId: job.id, modelId: record.id, version: record.version, metrics: model.metrics }, 'model trained');
        return {
          modelId: record.id,
          name: record.name,
          version: record.version,
          kind: 'price',
          architecture,
          metrics: model.metrics,
          epochs: model.params.epochs ?? 0,
          durationMs: Date.now() - startedAt,
          backend: ctx.backend.name,
        };
      } catch (error) {
        model.dispose();
        throw error;
      }
    } catch (error) {
      return settleFailure(error, job, token, signal);
    }
  };
}
