import type { ModelRecord } from '@mlq/specs';
import type { DatasetRecord, ModelRegistry } from './registry.ts';
import type { ArtifactStore, StoreUsage } from './store.ts';
import { ModelNotFoundError } from './registry.ts';
import type { UsageIndex } from './usage.ts';

export interface DeletionDeps {
  usage: UsageIndex;
  store: ArtifactStore;
  models: ModelRegistry;
}

/** The folder of a stored file (`datasets/<id>/data.csv` → `datasets/<id>`). */
const folderOf = (key: string) => key.slice(0, key.lastIndexOf('/')) || key;

/**
 * Deletes an uploaded dataset: its record (refused while a job uses it), then its stored file.
 * Returns the deleted record and the store's usage after.
 */
export async function deleteDataset(deps: Pick<DeletionDeps, 'usage' | 'store'>, id: string): Promise<{ dataset: DatasetRecord; store: StoreUsage | null }> {
  const dataset = await deps.usage.deleteDatasetRecord(id);
  await deps.store.remove(dataset.artifactKey ? folderOf(dataset.artifactKey) : `datasets/${id}`);
  return { dataset, store: (await deps.store.usage?.()) ?? null };
}

/**
 * Deletes the models a reference covers (see `ModelRegistry.idsToDelete`): their records and name
 * index entries (all or none: refused while a job uses one), then their weights and any checkpoints
 * left by their training. Version numbers are never reused.
 */
export async function deleteModels(deps: DeletionDeps, reference: string): Promise<{ models: ModelRecord[]; store: StoreUsage | null }> {
  const ids = await deps.models.idsToDelete(reference);
  const models = await deps.usage.deleteModelRecords(ids);
  // Deleted by a concurrent request between the lookup and the script.
  if (models.length === 0) throw new ModelNotFoundError(reference);
  for (const model of models) {
    await deps.store.remove(model.artifactPrefix);
    await deps.store.remove(`checkpoints/${model.trainJobId}`);
  }
  return { models, store: (await deps.store.usage?.()) ?? null };
}
