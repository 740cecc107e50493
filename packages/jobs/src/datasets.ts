import { MlqError } from '@mlq/specs';
import {
  builtinDatasets,
  builtinPairDatasets,
  builtinTextDatasets,
  decodeUtf8Strict,
  findBuiltinDataset,
  findBuiltinPairDataset,
  findBuiltinTextDataset,
  parseConversationPairs,
  parsePriceCsv,
  parseTextCorpus,
  parseWordVectors,
  summarizeText,
  unigramEntropyBits,
  type ConversationPair,
  type PriceCollection,
  type WordVectors,
} from '@mlq/datasets';
import type { DatasetKind, DatasetRecord, DatasetRegistry, PairsDatasetRecord, PriceDatasetRecord, TextDatasetRecord, WordVectorsDatasetRecord } from './registry.ts';
import { ArtifactNotFoundError, type ArtifactStore } from './store.ts';
import { withRedisTimeout } from './redis.ts';
import { decodeAppendedRows, withAppendedRows, type AppendedRow } from './appended-rows.ts';

/** Raised for a dataset id that is neither built in nor uploaded. */
export class DatasetNotFoundError extends MlqError {
  constructor(readonly datasetId: string) {
    super('not-found', `dataset not found: ${datasetId}`);
    this.name = 'DatasetNotFoundError';
  }
}

/** Raised when a dataset is of another kind than the job needs (a price CSV given to a text generator). */
export class DatasetKindError extends MlqError {
  constructor(
    readonly datasetId: string,
    readonly actual: DatasetKind,
    readonly expected: DatasetKind,
    purpose: string,
  ) {
    super('invalid', `dataset ${datasetId} holds ${actual}; ${purpose} needs a ${expected} dataset`, { field: 'body/dataset' });
    this.name = 'DatasetKindError';
  }
}

/** What a job needs of each kind of dataset, for error messages. */
const purposeOf: Record<DatasetKind, string> = {
  prices: 'a price model',
  text: 'a textgen model',
  pairs: 'a seq2seq model',
  'word-vectors': 'wordVectors',
};

/** Pairs shown in a pairs dataset's summary. */
export const PAIR_EXAMPLES = 3;

const epoch = new Date(0).toISOString();

let builtinRecords: Promise<DatasetRecord[]> | undefined;

/** Records of the datasets that ship with the project (prices, text corpora, dialogue pairs), summarised once per process. */
export function listBuiltinDatasetRecords(): Promise<DatasetRecord[]> {
  builtinRecords ??= Promise.all<DatasetRecord>([
    ...builtinDatasets.map(async (dataset): Promise<PriceDatasetRecord> => {
      const summary = (await dataset.load()).summary();
      return {
        id: dataset.id,
        name: dataset.name,
        kind: 'prices',
        source: 'builtin',
        description: `${dataset.description} Source: ${dataset.source}`,
        license: dataset.license,
        format: summary.format,
        summary,
        createdAt: epoch,
      };
    }),
    ...builtinTextDatasets.map(async (dataset): Promise<TextDatasetRecord> => {
      const text = await dataset.load();
      return {
        id: dataset.id,
        name: dataset.title,
        kind: 'text',
        source: 'builtin',
        description: `${dataset.description} Source: ${dataset.source}`,
        license: dataset.license,
        format: 'text',
        summary: { ...summarizeText(text), unigramBitsPerChar: unigramEntropyBits(text) },
        createdAt: epoch,
      };
    }),
    ...builtinPairDatasets.map(async (dataset): Promise<PairsDatasetRecord> => {
      const pairs = await dataset.load();
      return {
        id: dataset.id,
        name: dataset.title,
        kind: 'pairs',
        source: 'builtin',
        description: `${dataset.description} Source: ${dataset.source}`,
        license: dataset.license,
        format: 'builtin',
        summary: { pairs: pairs.length, source: 'builtin', examples: pairs.slice(0, PAIR_EXAMPLES).map(({ input, reply }) => ({ input, reply })) },
        createdAt: epoch,
      };
    }),
  ]);
  return builtinRecords;
}

/** Looks a dataset up among the built-in ones, then the uploaded ones. */
export async function findDatasetRecord(registry: DatasetRegistry, id: string): Promise<DatasetRecord> {
  const builtin = (await listBuiltinDatasetRecords()).find((record) => record.id === id);
  const record = builtin ?? (await registry.get(id));
  if (!record) throw new DatasetNotFoundError(id);
  return record;
}

/** Narrows a record to a kind, or throws `DatasetKindError`. */
export function expectDatasetKind<K extends DatasetKind>(record: DatasetRecord, kind: K): Extract<DatasetRecord, { kind: K }> {
  // Records stored before dataset kinds other than prices existed have no other kind.
  const actual = record.kind ?? 'prices';
  if (actual !== kind) throw new DatasetKindError(record.id, actual, kind, purposeOf[kind]);
  return record as Extract<DatasetRecord, { kind: K }>;
}

async function storedBytes(record: DatasetRecord, store: ArtifactStore): Promise<Uint8Array> {
  if (!record.artifactKey) throw new Error(`dataset ${record.id} has no stored file`);
  try {
    return await store.get(record.artifactKey);
  } catch (error) {
    // Deleted meanwhile (its record read just before): gone, as far as the job is concerned.
    if (error instanceof ArtifactNotFoundError) throw new DatasetNotFoundError(record.id);
    throw error;
  }
}

/** Loads and parses a dataset's series (built-in files, or the uploaded file from the store). */
export async function openPriceDataset(record: PriceDatasetRecord, store: ArtifactStore): Promise<PriceCollection> {
  if (record.source === 'builtin') {
    const builtin = findBuiltinDataset(record.id);
    if (!builtin) throw new DatasetNotFoundError(record.id);
    return builtin.load();
  }
  const text = decodeUtf8Strict(await storedBytes(record, store), record.name);
  const uploaded = parsePriceCsv(text, {
    file: record.name,
    format: record.format,
    ...(record.seriesName ? { seriesName: record.seriesName } : {}),
  });
  const appended: AppendedRow[] = [];
  for (const key of record.appended ?? []) appended.push(...decodeAppendedRows(await storedBytes({ ...record, artifactKey: key }, store)));
  return withAppendedRows(uploaded, appended);
}

/** The text of a text dataset: UTF-8, LF line breaks. */
export async function openTextDataset(record: TextDatasetRecord, store: ArtifactStore): Promise<string> {
  if (record.source === 'builtin') {
    const builtin = findBuiltinTextDataset(record.id);
    if (!builtin) throw new DatasetNotFoundError(record.id);
    return builtin.load();
  }
  return parseTextCorpus(await storedBytes(record, store), { source: record.name }).text;
}

/** The (input → reply) pairs of a pairs dataset; uploads are stored as normalised JSON pairs. */
export async function openPairsDataset(record: PairsDatasetRecord, store: ArtifactStore): Promise<readonly ConversationPair[]> {
  if (record.source === 'builtin') {
    const builtin = findBuiltinPairDataset(record.id);
    if (!builtin) throw new DatasetNotFoundError(record.id);
    return builtin.load();
  }
  return parseConversationPairs(await storedBytes(record, store), { source: record.name, format: 'json', maxPairs: Number.MAX_SAFE_INTEGER });
}

export async function openWordVectors(record: WordVectorsDatasetRecord, store: ArtifactStore): Promise<WordVectors> {
  return parseWordVectors(await storedBytes(record, store), { source: record.name, format: record.format });
}

/**
 * Datasets as producer and consumer see them: built-in and uploaded records, and their parsed
 * contents. A dataset's contents never change once stored (appended rows make a new version of
 * a price dataset's record), so parsed contents are cached per version (a few, by recency).
 * `redisTimeoutMs` bounds registry reads for callers that must fail fast (the API).
 */
export class DatasetCatalog {
  private readonly parsed = new Map<string, Promise<unknown>>();

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

  /** Built-in records are summarised once per process (seconds of CPU, not Redis): only the registry read is bounded. */
  async record(id: string): Promise<DatasetRecord> {
    const builtin = (await listBuiltinDatasetRecords()).find((record) => record.id === id);
    if (builtin) return builtin;
    const uploaded = await this.bounded(this.registry.get(id));
    if (!uploaded) throw new DatasetNotFoundError(id);
    return uploaded;
  }

  /** A record of the given kind, or `DatasetNotFoundError` / `DatasetKindError`. */
  async recordOf<K extends DatasetKind>(id: string, kind: K): Promise<Extract<DatasetRecord, { kind: K }>> {
    return expectDatasetKind(await this.record(id), kind);
  }

  private open<T>(id: string, load: () => Promise<T>): Promise<T> {
    let contents = this.parsed.get(id) as Promise<T> | undefined;
    if (!contents) {
      contents = load();
      contents.catch(() => this.parsed.delete(id));
      this.parsed.set(id, contents);
      if (this.parsed.size > (this.options.maxCached ?? 8)) this.parsed.delete(this.parsed.keys().next().value!);
    }
    return contents;
  }

  /** Drops a deleted (or appended to) dataset's parsed contents, every version. */
  forget(id: string): void {
    for (const key of [...this.parsed.keys()]) if (key === id || key.startsWith(`${id}@`)) this.parsed.delete(key);
  }

  async series(id: string): Promise<{ record: PriceDatasetRecord; collection: PriceCollection }> {
    const record = await this.recordOf(id, 'prices');
    return { record, collection: await this.open(`${id}@${record.version ?? 1}`, () => openPriceDataset(record, this.store)) };
  }

  async text(id: string): Promise<{ record: TextDatasetRecord; text: string }> {
    const record = await this.recordOf(id, 'text');
    return { record, text: await this.open(id, () => openTextDataset(record, this.store)) };
  }

  async pairs(id: string): Promise<{ record: PairsDatasetRecord; pairs: readonly ConversationPair[] }> {
    const record = await this.recordOf(id, 'pairs');
    return { record, pairs: await this.open(id, () => openPairsDataset(record, this.store)) };
  }

  async wordVectors(id: string): Promise<{ record: WordVectorsDatasetRecord; vectors: WordVectors }> {
    const record = await this.recordOf(id, 'word-vectors');
    return { record, vectors: await this.open(id, () => openWordVectors(record, this.store)) };
  }
}
