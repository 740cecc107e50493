import { MlqError } from '@mlq/specs';
import type { Redis } from 'ioredis';
import { findBuiltinDataset, findBuiltinPairDataset, findBuiltinTextDataset } from '@mlq/datasets';
import { DatasetNotFoundError } from './datasets.ts';
import type { ModelRecord } from '@mlq/specs';
import { ModelNotFoundError, registryGenerationKey, registryKey, type DatasetRecord } from './registry.ts';
import { LuaScript } from './lua-script.ts';

/** A dataset or model a job reads. */
export interface ResourceUse {
  type: 'dataset' | 'model';
  id: string;
}

/** A job as the usage index names it: its queue and id (its BullMQ hash is `<prefix>:<queue>:<id>`). */
export interface JobRef {
  queue: string;
  id: string;
}

/** Raised when a deletion finds a job that still uses the dataset or model (a 409). */
export class ResourceInUseError extends MlqError {
  constructor(
    readonly resource: ResourceUse,
    readonly job: JobRef,
  ) {
    super(
      'conflict',
      `${resource.type} ${resource.id} is used by job ${job.id} (${job.queue} queue), waiting or running; ` +
        `delete it once that job has finished, or cancel the job (DELETE /v1/jobs/${job.id})`,
      { details: { jobId: job.id, queue: job.queue } },
    );
    this.name = 'ResourceInUseError';
  }
}

/**
 * Raised by a claim that was given the registry generation its model reference was resolved at,
 * when a model was registered or deleted since: the reference may mean another model now. Nothing
 * was recorded; the caller resolves the reference again (`generation` is the registry's now).
 */
export class RegistryChangedError extends MlqError {
  constructor(readonly generation: number) {
    super('unavailable', 'the model registry changed while the request was being enqueued; try again');
    this.name = 'RegistryChangedError';
  }
}

/** What a claim checks besides the resources' records. */
export interface ClaimOptions {
  /** The registry generation the request's model reference was resolved at (`ModelRegistry.resolveWithGeneration`). */
  registryGeneration?: number;
}

/** Raised for a deletion of a dataset that ships with the project. */
export class BuiltinDatasetError extends MlqError {
  constructor(readonly datasetId: string) {
    super('invalid', `dataset ${datasetId} is built in; only uploaded datasets can be deleted`, { field: 'params/id' });
    this.name = 'BuiltinDatasetError';
  }
}

export const isBuiltinDataset = (id: string): boolean => Boolean(findBuiltinDataset(id) ?? findBuiltinTextDataset(id) ?? findBuiltinPairDataset(id));

/** The datasets a training job reads: its dataset and, for a chatbot, its word vectors. */
export function trainingUses(payload: { dataset: string; wordVectors?: string | undefined }): ResourceUse[] {
  return [payload.dataset, payload.wordVectors].filter((id): id is string => typeof id === 'string' && id.length > 0).map((id) => ({ type: 'dataset', id }));
}

/**
 * A claim not yet confirmed whose job hash does not exist is a job being enqueued (the claim comes
 * first); past this age it is one whose enqueue failed, and is dropped. A confirmed claim (score 0)
 * whose hash is gone is a job removed or trimmed by retention.
 */
export const ENQUEUE_GRACE_MS = 60_000;

/** Entries looked at (and dropped when their job is finished or gone) on each claim, so a set never grows past its live jobs by much. */
const PRUNE_SAMPLE = 4;

/**
 * Shared Lua: `busy(usageKey)` walks a resource's users, drops those whose job finished (BullMQ sets
 * `finishedOn`) or vanished (removed, or trimmed by retention), and returns the first still waiting
 * or running, or false. ARGV[1] is the key prefix, ARGV[2] the grace in ms.
 */
const luaHelpers = `
local prefix = ARGV[1]
local grace = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function live(usageKey, member, claimed)
  local jobKey = prefix .. ':' .. member
  if redis.call('EXISTS', jobKey) == 0 then
    local at = tonumber(claimed)
    if at > 0 and now - at <= grace then return true end
  elseif redis.call('HEXISTS', jobKey, 'finishedOn') == 0 then
    return true
  end
  redis.call('ZREM', usageKey, member)
  return false
end
local function busy(usageKey)
  local entries = redis.call('ZRANGE', usageKey, 0, -1, 'WITHSCORES')
  for i = 1, #entries, 2 do
    if live(usageKey, entries[i], entries[i + 1]) then return entries[i] end
  end
  return false
end
`;

/**
 * KEYS: n record keys, then n usage keys, then the registry's generation. ARGV: prefix, grace,
 * member, sample size, the generation expected ('' for any).
 * Returns {0} after recording the job as a user of every resource, {i} when resource i (1-based)
 * is gone, or {-1, generation} when the registry changed since the expected generation (nothing
 * recorded: the caller resolved its model reference before that change, and resolves it again).
 */
const claimScript = new LuaScript(`${luaHelpers}
local n = (#KEYS - 1) / 2
if ARGV[5] ~= '' then
  local generation = tonumber(redis.call('GET', KEYS[#KEYS]) or '0')
  if generation ~= tonumber(ARGV[5]) then return {-1, generation} end
end
for i = 1, n do
  if redis.call('EXISTS', KEYS[i]) == 0 then return {i} end
end
for i = n + 1, 2 * n do
  local sample = redis.call('ZRANDMEMBER', KEYS[i], tonumber(ARGV[4]), 'WITHSCORES')
  for j = 1, #sample, 2 do live(KEYS[i], sample[j], sample[j + 1]) end
  redis.call('ZADD', KEYS[i], now, ARGV[3])
end
return {0}
`);

/**
 * KEYS: usage, record, all datasets. ARGV: prefix, grace, id.
 * Returns {'busy', member}, {'missing'} or {'deleted', record JSON}; deletes the record and its usage set.
 */
const deleteDatasetScript = new LuaScript(`${luaHelpers}
local user = busy(KEYS[1])
if user then return {'busy', user} end
local record = redis.call('GET', KEYS[2])
if not record then return {'missing'} end
redis.call('DEL', KEYS[2], KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[3])
return {'deleted', record}
`);

/**
 * KEYS: all models, the registry's generation. ARGV: prefix, grace, then model ids. Deletes every
 * one of them or none: returns {'busy', id, member} for the first still in use, else {'deleted',
 * record JSON…} (ids already gone are skipped). Each record's name index loses its id; its version
 * counter stays; the generation counts the change.
 */
const deleteModelsScript = new LuaScript(`${luaHelpers}
for i = 3, #ARGV do
  local user = busy(prefix .. ':usage:model:' .. ARGV[i])
  if user then return {'busy', ARGV[i], user} end
end
local deleted = {'deleted'}
for i = 3, #ARGV do
  local id = ARGV[i]
  local recordKey = prefix .. ':registry:model:' .. id
  local record = redis.call('GET', recordKey)
  if record then
    local name = cjson.decode(record).name
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', prefix .. ':registry:name:' .. name, id)
    redis.call('DEL', recordKey, prefix .. ':usage:model:' .. id)
    table.insert(deleted, record)
  end
end
if #deleted > 1 then redis.call('INCR', KEYS[2]) end
return deleted
`);

const splitMember = (member: string): JobRef => {
  const at = member.indexOf(':');
  return { queue: member.slice(0, at), id: member.slice(at + 1) };
};

/**
 * Which jobs use which uploaded dataset and model, in Redis: one sorted set per resource of
 * `<queue>:<jobId>` by claim time. The API claims before it enqueues; a deletion checks the users
 * and deletes the record in one script, so a job is never enqueued for a deleted resource and a
 * resource is never deleted under a waiting or running job. Entries of finished or vanished jobs
 * are dropped lazily (by deletions, and a few at random by each claim). Built-in datasets are
 * never deleted and never recorded.
 */
export class UsageIndex {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private usageKey = (use: ResourceUse) => `${this.prefix}:usage:${use.type}:${use.id}`;

  private recordKey = (use: ResourceUse) => registryKey(this.prefix, use.type, use.id);

  /**
   * Adds a job through `add` as a user of `uses`: claims them (throwing `DatasetNotFoundError` /
   * `ModelNotFoundError`, a 404, for one deleted since the request looked it up, and adding
   * nothing), adds the job, then confirms the claim. A failed add leaves an unconfirmed claim,
   * dropped after `ENQUEUE_GRACE_MS` (the job may exist even so: the answer may be what was lost).
   * The confirmation is sent once the add is done but not waited for: only a deletion reads it, and
   * until it lands the claim protects the job all the same.
   */
  async enqueue<T>(job: JobRef, uses: readonly ResourceUse[], add: () => Promise<T>, options: ClaimOptions = {}): Promise<T> {
    const recorded = await this.claim(job, uses, options);
    const added = await add();
    const member = `${job.queue}:${job.id}`;
    // Plain commands, not a pipeline: a pipeline on a connection shared with BullMQ copies its scripts.
    for (const use of recorded) this.redis.zadd(this.usageKey(use), 'XX', 0, member).catch(() => undefined);
    return added;
  }

  /**
   * Records that `job` will use `uses` (the first half of `enqueue`); returns the uses recorded (built-in datasets are not).
   * With `registryGeneration`, throws `RegistryChangedError` (recording nothing) when the model registry changed since.
   */
  async claim(job: JobRef, uses: readonly ResourceUse[], options: ClaimOptions = {}): Promise<ResourceUse[]> {
    const recorded = uses.filter((use) => !(use.type === 'dataset' && isBuiltinDataset(use.id)));
    if (recorded.length === 0 && options.registryGeneration === undefined) return recorded;
    const keys = [...recorded.map(this.recordKey), ...recorded.map(this.usageKey), registryGenerationKey(this.prefix)];
    const [outcome, generation] = (await claimScript.run(this.redis, keys, [this.prefix, ENQUEUE_GRACE_MS, `${job.queue}:${job.id}`, PRUNE_SAMPLE, options.registryGeneration ?? ''])) as [
      number,
      number?,
    ];
    if (outcome === 0) return recorded;
    if (outcome === -1) throw new RegistryChangedError(generation!);
    const gone = recorded[outcome - 1]!;
    throw gone.type === 'dataset' ? new DatasetNotFoundError(gone.id) : new ModelNotFoundError(gone.id);
  }

  /** Jobs recorded as users of a resource (finished ones included until dropped). */
  async users(use: ResourceUse): Promise<JobRef[]> {
    return (await this.redis.zrange(this.usageKey(use), 0, -1)).map(splitMember);
  }

  /**
   * Deletes an uploaded dataset's record unless a job uses it, atomically. Throws
   * `BuiltinDatasetError`, `DatasetNotFoundError` or `ResourceInUseError`; returns the deleted record.
   */
  async deleteDatasetRecord(id: string): Promise<DatasetRecord> {
    if (isBuiltinDataset(id)) throw new BuiltinDatasetError(id);
    const use: ResourceUse = { type: 'dataset', id };
    const [outcome, value] = (await deleteDatasetScript.run(
      this.redis,
      [this.usageKey(use), this.recordKey(use), registryKey(this.prefix, 'datasets')],
      [this.prefix, ENQUEUE_GRACE_MS, id],
    )) as [string, string | undefined];
    if (outcome === 'busy') throw new ResourceInUseError(use, splitMember(value!));
    if (outcome === 'missing') throw new DatasetNotFoundError(id);
    return JSON.parse(value!) as DatasetRecord;
  }

  /** Deletes model records (all of them, or none when one is in use: `ResourceInUseError`); returns those deleted. */
  async deleteModelRecords(ids: readonly string[]): Promise<ModelRecord[]> {
    const [outcome, ...rest] = (await deleteModelsScript.run(
      this.redis,
      [registryKey(this.prefix, 'models'), registryGenerationKey(this.prefix)],
      [this.prefix, ENQUEUE_GRACE_MS, ...ids],
    )) as string[];
    if (outcome === 'busy') throw new ResourceInUseError({ type: 'model', id: rest[0]! }, splitMember(rest[1]!));
    return rest.map((json) => JSON.parse(json) as ModelRecord);
  }
}
