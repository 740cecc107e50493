import type { Job } from 'bullmq';
import type { ArtifactIO } from '@mlq/models';
import { scopedArtifacts, type ModelRecord, type NewModelRecord } from '@mlq/jobs';
import type { ProcessorContext } from './context.ts';
import type { TrainedModel } from './model-cache.ts';

type RecordFields = NewModelRecord extends infer R ? (R extends unknown ? Omit<R, 'id' | 'artifactStore' | 'artifactPrefix' | 'byteSize' | 'backend' | 'trainJobId'> : never) : never;

/** A registry name from parts, with characters the registry refuses replaced. */
export const defaultModelName = (...parts: string[]) => parts.join('-').replace(/[^A-Za-z0-9._-]+/g, '-');

/**
 * Saves a just-trained model to the store, registers it and keeps it hot in the cache. The model
 * id derives from the job id, so a retried job registers the same model, not a second one.
 * Disposes the model when the cache does not keep it, or when saving fails.
 */
export async function saveAndRegister(ctx: ProcessorContext, job: Job, model: TrainedModel & { save(io: ArtifactIO): Promise<void> }, fields: RecordFields): Promise<ModelRecord> {
  try {
    const modelId = `m_${job.id}`;
    const artifactPrefix = `models/${modelId}`;
    await model.save(scopedArtifacts(ctx.store, artifactPrefix));
    const record = await ctx.models.register({
      ...fields,
      id: modelId,
      artifactStore: ctx.store.location,
      artifactPrefix,
      byteSize: model.byteSize(),
      backend: ctx.backend.name,
      trainJobId: job.id!,
    } as NewModelRecord);
    if (!ctx.cache.add(record.id, model, model.byteSize())) model.dispose();
    ctx.log.info({ jobId: job.id, modelId: record.id, kind: record.kind, version: record.version, metrics: record.metrics }, 'model trained');
    return record;
  } catch (error) {
    model.dispose();
    throw error;
  }
}
