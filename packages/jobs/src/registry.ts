import { MlqError, type ModelRecord, type ModelRecordOf } from '@mlq/specs';
import type { Redis } from 'ioredis';
import type { ConversationPairsSummary, DatasetSummary, TextCorpusSummary } from '@mlq/datasets';
import { LuaScript } from './lua-script.ts';

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

/**
 * Counts every change of the model registry (a registration, a deletion). A process that caches
 * resolved references (`ModelReferences`) compares it with the one its entries were read at.
 */
export const registryGenerationKey = (prefix: string) => registryKey(prefix, 'generation');

/** KEYS: record, all models, the name's versions, generation. ARGV: record JSON, created (ms), version, id. 1 when stored, 0 when the id exists. */
const registerScript = new LuaScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
redis.call('INCR', KEYS[4])
return 1
`);

/**
 * KEYS: the reference read as an id's record, the versions of the name it would be, generation.
 * ARGV: prefix of record keys, version wanted ('latest' or a number).
 * Returns {generation, record JSON}, or {generation} when the reference resolves to nothing.
 */
const resolveScript = new LuaScript(`
local generation = tonumber(redis.call('GET', KEYS[3]) or '0')
local record = redis.call('GET', KEYS[1])
if record then return {generation, record} end
local ids
if ARGV[2] == 'latest' then
  ids = redis.call('ZREVRANGE', KEYS[2], 0, 0)
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[2], ARGV[2], ARGV[2])
end
if #ids == 0 then return {generation} end
record = redis.call('GET', ARGV[1] .. ids[1])
if record then return {generation, record} end
return {generation}
`);

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
    const stored = await registerScript.run(
      this.redis,
      [this.key('model', model.id), this.key('models'), this.key('name', model.name), registryGenerationKey(this.prefix)],
      [JSON.stringify(record), Date.parse(record.createdAt), version, model.id],
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
    return (await this.resolveWithGeneration(reference)).record;
  }

  /**
   * Resolves a reference, as `resolve`, in one round trip, together with the registry's generation
   * at that moment (the record is what the reference meant while the generation had that value).
   */
  async resolveWithGeneration(reference: string): Promise<{ record: ModelRecord; generation: number }> {
    const match = modelReference.exec(reference);
    const name = match?.groups?.name ?? reference;
    const version = match?.groups?.version ?? 'latest';
    const [generation, json] = (await resolveScript.run(
      this.redis,
      [this.key('model', reference), this.key('name', name), registryGenerationKey(this.prefix)],
      [this.key('model', ''), version],
    )) as [number, string?];
    if (json === undefined) throw new ModelNotFoundError(reference);
    return { record: JSON.parse(json) as ModelRecord, generation };
  }

  /** The registry's generation now: it changes with every registration and deletion. */
  async generation(): Promise<number> {
    return Number((await this.redis.get(registryGenerationKey(this.prefix))) ?? 0);
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
