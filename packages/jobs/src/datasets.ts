import {
  builtinDatasets,
  decodeUtf8Strict,
  findBuiltinDataset,
  parsePriceCsv,
  type PriceCollection,
} from '@mlq/datasets';
import type { DatasetRecord, DatasetRegistry } from './registry.ts';
import type { ArtifactStore } from './store.ts';
import { withRedisTimeout } from './redis.ts';

/** Raised for a dataset id that is neither built in nor uploaded. */
export class DatasetNotFoundError extends Error {
  constructor(readonly datasetId: string) {
    super(`dataset not found: ${datasetId}`);
    this.name = 'DatasetNotFoundError';
  }
}

let builtinRecords: Promise<DatasetRecord[]> | undefined;

/** Records of the datasets that ship with the project, summarised once per process. */
export function listBuiltinDatasetRecords(): Promise<DatasetRecord[]> {
  builtinRecords ??= Promise.all(
    builtinDatasets.map(async (dataset): Promise<DatasetRecord> => {
      const summary = (await dataset.load()).summary();
      return {
        id: dataset.id,
        name: dataset.name,
        kind: dataset.kind,
        source: 'builtin',
        description: `${dataset.description} Source: ${dataset.source}`,
        license: dataset.license,
        format: summary.format,
        summary,
        createdAt: new Date(0).toISOString(),
      };
    }),
  );
  return builtinRecords;
}

/** Looks a dataset up among the built-in ones, then the uploaded ones. */
export async function findDatasetRecord(registry: DatasetRegistry, id: string): Promise<DatasetRecord> {
  const builtin = (await listBuiltinDatasetRecords()).find((record) => record.id === id);
  const record = builtin ?? (await registry.get(id));
  if (!record) throw new DatasetNotFoundError(id);
  return record;
}

/** Loads and parses a dataset's series (built-in files, or the uploaded file from the store). */
export async function openPriceDataset(record: DatasetRecord, store: ArtifactStore): Promise<PriceCollection> {
  if (record.source === 'builtin') {
    const builtin = findBuiltinDataset(record.id);
    if (!builtin) throw new DatasetNotFoundError(record.id);
    return builtin.load();
  }
  if (!record.artifactKey) throw new Error(`dataset ${record.id} has no stored file`);
  const text = decodeUtf8Strict(await store.get(record.artifactKey), record.name);
  return parsePriceCsv(text, {
    file: record.name,
    format: record.format,
    ...(record.seriesName ? { seriesName: record.seriesName } : {}),
  });
}

/**
 * Datasets as producer and consumer see them: built-in and uploaded records, and their parsed
 * series. Datasets never change after upload, so parsed collections are cached (a few, by
 * recency). `redisTimeoutMs` bounds registry reads for callers that must fail fast (the API).
 */
export class DatasetCatalog {
  private readonly parsed = new Map<string, Promise<PriceCollection>>();

  constructor(
    private readonly registry: DatasetRegistry,
    private readonly store: ArtifactStore,
    private readonly options: { maxCached?: number; redisTimeoutMs?: number } = {},
  ) {}

  private bounded<T>(promise: Promise<T>): Promise<T> {
    return this.options.redisTimeoutMs ? withRedisTimeout(promise, this.options.redisTimeoutMs) : promise;
  }

  async list(): Promise<DatasetRecord[]> {
    const uploaded = await this.bounded(this.registry.list());
    return [...(await listBuiltinDatasetRecords()), ...uploaded];
  }

  record(id: string): Promise<DatasetRecord> {
    return this.bounded(findDatasetRecord(this.registry, id));
  }

  async series(id: string): Promise<{ record: DatasetRecord; collection: PriceCollection }> {
    const record = await this.record(id);
    let collection = this.parsed.get(id);
    if (!collection) {
      collection = openPriceDataset(record, this.store);
      collection.catch(() => this.parsed.delete(id));
      this.parsed.set(id, collection);
      if (this.parsed.size > (this.options.maxCached ?? 8)) this.parsed.delete(this.parsed.keys().next().value!);
    }
    return { record, collection: await collection };
  }
}
