import { MlqError, type ModelRecord, type ModelRecordOf } from '@mlq/specs';
import type { Redis } from 'ioredis';
import type { ConversationPairsSummary, DatasetSummary, TextCorpusSummary } from '@mlq/datasets';

/** A trained model's record, by family: built from each family's spec (`record` in `@mlq/specs`). */
export type PriceModelRecord = ModelRecordOf<'price'>;
export type TextGenModelRecord = ModelRecordOf<'textgen'>;
export type Seq2SeqModelRecord = ModelRecordOf<'seq2seq'>;

type WithoutAssigned<T> = T extends unknown ? Omit<T, 'version' | 'createdAt'> : never;
export type NewModelRecord = WithoutAssigned<ModelRecord>;

/** Kinds of dataset: what a model family trains on. */
export type DatasetKind = 'prices' | 'text' | 'pairs' | 'word-vectors';

/** Summary of a pairs dataset: how many, from what, and for a Messenger export what was skipped. */
export interface PairsSummary {
  pairs: number;
  source: 'messenger' | 'json' | 'csv' | 'builtin';
  /** Messenger exports only: the owner whose replies were taken, and the importer's report. */
  owner?: string;
  maxGapMinutes?: number;
  messenger?: ConversationPairsSummary;
  /** A few pairs, to see what the model will learn. */
  examples: Array<{ input: string; reply: string }>;
}

export interface WordVectorsSummary {
  format: 'glove' | 'word2vec';
  words: number;
  dimension: number;
  duplicatesSkipped: number;
}

export type TextSummary = TextCorpusSummary & { unigramBitsPerChar: number };

interface DatasetRecordBase {
  id: string;
  name: string;
  source: 'builtin' | 'upload';
  description: string;
  createdAt: string;
  /** Upload only: where the stored file lives. */
  artifactKey?: string;
  bytes?: number;
  license?: string;
}

export interface PriceDatasetRecord extends DatasetRecordBase {
  kind: 'prices';
  format: DatasetSummary['format'];
  summary: DatasetSummary;
  seriesName?: string;
  /** 1 for an upload; each `POST /v1/datasets/:id/rows` adds one. Absent on records from before appends existed. */
  version?: number;
  /** Store keys of the appended rows files, oldest first (JSON arrays of `{ series, date, close }`), under the dataset's folder. */
  appended?: string[];
  /** When rows were last appended. */
  updatedAt?: string;
}
export interface TextDatasetRecord extends DatasetRecordBase {
  kind: 'text';
  format: 'text';
  summary: TextSummary;
}
export interface PairsDatasetRecord extends DatasetRecordBase {
  kind: 'pairs';
  format: PairsSummary['source'];
  summary: PairsSummary;
}
export interface WordVectorsDatasetRecord extends DatasetRecordBase {
  kind: 'word-vectors';
  format: WordVectorsSummary['format'];
  summary: WordVectorsSummary;
}

export type DatasetRecord = PriceDatasetRecord | TextDatasetRecord | PairsDatasetRecord | WordVectorsDatasetRecord;

/** Raised for a model reference that resolves to nothing. */
export class ModelNotFoundError extends MlqError {
  constructor(readonly reference: string) {
    super('not-found', `model not found: ${reference}`);
    this.name = 'ModelNotFoundError';
  }
}

/** Key of a registry entry: `<prefix>:registry:<parts>`. */
export const registryKey = (prefix: string, ...parts: string[]) => [prefix, 'registry', ...parts].join(':');

/** KEYS: record, all models, the name's versions. ARGV: record JSON, created (ms), version, id. 1 when stored, 0 when the id exists. */
const registerScript = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 1
`;

const modelReference = /^(?<name>[A-Za-z0-9][A-Za-z0-9._-]*)@(?<version>latest|\d+)$/;

/**
 * Models in Redis, next to the queues: one JSON value per model, a sorted set of all models by
 * creation time, and one sorted set per name holding its versions (score = version).
 */
export class ModelRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (...parts: string[]) => registryKey(this.prefix, ...parts);

  /**
   * Adds a model as the next version of its name. Idempotent per id: a retried job that
   * registers the same id again gets the existing record back.
   */
  async register(model: NewModelRecord): Promise<ModelRecord> {
    const existing = await this.get(model.id);
    if (existing) return existing;
    const version = await this.redis.incr(this.key('version', model.name));
    const record: ModelRecord = { ...model, version, createdAt: new Date().toISOString() };
    // The record and both indexes appear together, so a deletion never sees one without the others.
    const stored = await this.redis.eval(
      registerScript,
      3,
      this.key('model', model.id),
      this.key('models'),
      this.key('name', model.name),
      JSON.stringify(record),
      Date.parse(record.createdAt),
      version,
      model.id,
    );
    if (stored !== 1) return (await this.get(model.id))!;
    return record;
  }

  /**
   * The ids a deletion of `reference` covers: an id or `name@<version>` is that version,
   * `name@latest` the latest one, a bare name every version of it (oldest first).
   */
  async idsToDelete(reference: string): Promise<string[]> {
    if (await this.get(reference)) return [reference];
    if (modelReference.test(reference)) return [(await this.resolve(reference)).id];
    const ids = await this.redis.zrange(this.key('name', reference), 0, -1);
    if (ids.length === 0) throw new ModelNotFoundError(reference);
    return ids;
  }

  async get(id: string): Promise<ModelRecord | undefined> {
    const json = await this.redis.get(this.key('model', id));
    return json ? (JSON.parse(json) as ModelRecord) : undefined;
  }

  /** Resolves an id, a name (its latest version), `name@latest` or `name@<version>`. */
  async resolve(reference: string): Promise<ModelRecord> {
    const byId = await this.get(reference);
    if (byId) return byId;
    const match = modelReference.exec(reference);
    const name = match?.groups?.name ?? reference;
    const version = match?.groups?.version ?? 'latest';
    const ids = version === 'latest' ? await this.redis.zrevrange(this.key('name', name), 0, 0) : await this.redis.zrangebyscore(this.key('name', name), Number(version), Number(version));
    const record = ids[0] ? await this.get(ids[0]) : undefined;
    if (!record) throw new ModelNotFoundError(reference);
    return record;
  }

  /** Newest first. */
  async list(options: { offset: number; limit: number; name?: string }): Promise<{ total: number; models: ModelRecord[] }> {
    const setKey = options.name ? this.key('name', options.name) : this.key('models');
    const [total, ids] = await Promise.all([this.redis.zcard(setKey), this.redis.zrevrange(setKey, options.offset, options.offset + options.limit - 1)]);
    if (ids.length === 0) return { total, models: [] };
    const values = await this.redis.mget(ids.map((id) => this.key('model', id)));
    return { total, models: values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as ModelRecord) };
  }
}

/** Uploaded datasets in Redis; built-in ones are merged in by the caller. */
export class DatasetRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key = (...parts: string[]) => registryKey(this.prefix, ...parts);

  async add(record: DatasetRecord): Promise<void> {
    await this.redis.multi().set(this.key('dataset', record.id), JSON.stringify(record)).zadd(this.key('datasets'), Date.parse(record.createdAt), record.id).exec();
  }

  async get(id: string): Promise<DatasetRecord | undefined> {
    const json = await this.redis.get(this.key('dataset', id));
    return json ? (JSON.parse(json) as DatasetRecord) : undefined;
  }

  /** Newest first. */
  async list(): Promise<DatasetRecord[]> {
    const ids = await this.redis.zrevrange(this.key('datasets'), 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.key('dataset', id)));
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as DatasetRecord);
  }
}
