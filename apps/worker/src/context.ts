import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BackendInfo, PriceModel } from '@mlq/models';
import type { ArtifactStore, DatasetCatalog, ModelRegistry, WorkerConfig } from '@mlq/jobs';
import type { ModelCache } from './model-cache.ts';

/** What processors share within one worker process. */
export interface ProcessorContext {
  config: WorkerConfig;
  redis: Redis;
  store: ArtifactStore;
  models: ModelRegistry;
  datasets: DatasetCatalog;
  cache: ModelCache<PriceModel>;
  backend: BackendInfo;
  log: Logger;
}
