import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BackendInfo, ChatModel, PriceModel, TextModel } from '@mlq/models';
import type { ArtifactStore, DatasetCatalog, ModelRegistry, WorkerConfig } from '@mlq/jobs';
import type { ModelCache } from './model-cache.ts';

/** Any trained model the worker keeps hot: each family's class has `dispose()` and `byteSize()`. */
export type LoadedModel = PriceModel | TextModel | ChatModel;

/** What processors share within one worker process. */
export interface ProcessorContext {
  config: WorkerConfig;
  redis: Redis;
  store: ArtifactStore;
  models: ModelRegistry;
  datasets: DatasetCatalog;
  cache: ModelCache<LoadedModel>;
  backend: BackendInfo;
  /** Threads a training (every family) splits its batches across (`TRAINING_THREADS` resolved). */
  trainingThreads: number;
  log: Logger;
}
