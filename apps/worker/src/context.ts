import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BackendInfo } from '@mlq/models';
import type { ArtifactStore, DatasetCatalog, ModelReferences, ModelRegistry, WorkerConfig } from '@mlq/jobs';
import type { ModelCache, TrainedModel } from './model-cache.ts';

/** What processors share within one worker process. */
export interface ProcessorContext {
  config: WorkerConfig;
  redis: Redis;
  store: ArtifactStore;
  models: ModelRegistry;
  /** Model references resolved by this worker, checked against the registry's generation when each prediction starts. */
  references: ModelReferences;
  datasets: DatasetCatalog;
  cache: ModelCache<TrainedModel>;
  backend: BackendInfo;
  /** Threads a training (every family) splits its batches across (`TRAINING_THREADS` resolved). */
  trainingThreads: number;
  log: Logger;
}
