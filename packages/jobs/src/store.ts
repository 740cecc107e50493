import { MlqError } from '@mlq/specs';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { registerSensitiveRoot } from './redact.ts';

/** Raised when an artifact does not exist. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact not found: ${key}`);
    this.name = 'ArtifactNotFoundError';
  }
}

/**
 * Raised when the store fails for another reason (permissions, a full disk, a file where a folder
 * should be). The message names the key and the system's error code, never the file system path.
 */
export class ArtifactStoreError extends MlqError {
  constructor(
    readonly key: string,
    readonly operation: 'read' | 'write' | 'remove',
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    // A fault of the store (disk full, permissions): a 500 that names the key, and a job worth retrying.
    super('internal', `the artifact store could not ${operation} ${key}${code ? ` (${code})` : ''}`, options);
    this.name = 'ArtifactStoreError';
  }
}

/** Raised when a put would take the store past `STORE_QUOTA_BYTES`. */
export class StoreQuotaExceededError extends MlqError {
  constructor(
    readonly key: string,
    readonly bytes: number,
    readonly usedBytes: number,
    readonly quotaBytes: number,
  ) {
    super('quota', `the artifact store is full: ${key} needs ${bytes} bytes, ${usedBytes} of ${quotaBytes} are used (STORE_QUOTA_BYTES); ` + 'delete datasets or models to free space', {
      details: { bytes, usedBytes, quotaBytes },
    });
    this.name = 'StoreQuotaExceededError';
  }
}

/** Bytes the store holds, and its limit (0: none). */
export interface StoreUsage {
  usedBytes: number;
  quotaBytes: number;
}

/**
 * Where large outputs live (model weights, uploaded datasets). Keys are `/`-separated relative
 * paths such as `models/<id>/weights.bin`. Implementations must make `put` atomic: a reader
 * sees the old bytes or the new ones, never half a file.
 */
export interface ArtifactStore {
  /** Human-readable location, recorded in the registry (`file:///data/store`). */
  readonly location: string;
  /** Writes a key; a store with a quota refuses a put past it with `StoreQuotaExceededError`. */
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Removes a key or everything under a `prefix/`. */
  remove(keyOrPrefix: string): Promise<void>;
  /** Bytes held and the quota, for stores that count them. */
  usage?(): Promise<StoreUsage>;
}

const safeKey = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)*$/;

function assertKey(key: string): void {
  if (!safeKey.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`invalid artifact key: ${JSON.stringify(key)}`);
  }
}

const errorCode = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code;

/** A directory on disk: a shared volume (compose, k8s ReadWriteMany) when workers are many. */
export class FileSystemArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = `file://${this.root}`;
    registerSensitiveRoot(this.root);
  }

  private resolve(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.resolve(key);
    const temporary = `${target}.${randomUUID()}.tmp`;
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(temporary, data);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new ArtifactStoreError(key, 'write', errorCode(error), { cause: error });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    const file = this.resolve(key);
    try {
      return new Uint8Array(await readFile(file));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new ArtifactNotFoundError(key);
      throw new ArtifactStoreError(key, 'read', errorCode(error), { cause: error });
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.resolve(key));
      return true;
    } catch {
      return false;
    }
  }

  async remove(keyOrPrefix: string): Promise<void> {
    const target = this.resolve(keyOrPrefix);
    try {
      await rm(target, { recursive: true, force: true });
    } catch (error) {
      throw new ArtifactStoreError(keyOrPrefix, 'remove', errorCode(error), { cause: error });
    }
  }

  /** Every stored file as a key with its size (temporary files of unfinished puts left out). */
  async *files(): AsyncGenerator<{ key: string; bytes: number }> {
    const walk = async function* (directory: string, prefix: string): AsyncGenerator<{ key: string; bytes: number }> {
      let entries;
      try {
        entries = await readdir(directory, { withFileTypes: true });
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new ArtifactStoreError(prefix || '(root)', 'read', errorCode(error), { cause: error });
      }
      for (const entry of entries) {
        const key = prefix ? `${prefix}/${entry.name}` : entry.name;
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) yield* walk(full, key);
        else if (entry.isFile() && !entry.name.endsWith('.tmp') && safeKey.test(key)) yield { key, bytes: (await lstat(full)).size };
      }
    };
    yield* walk(this.root, '');
  }
}

/** Reads and writes named files under one prefix: what `@mlq/models`' save/load expect. */
export function scopedArtifacts(store: ArtifactStore, prefix: string) {
  return {
    write: (name: string, data: Uint8Array) => store.put(`${prefix}/${name}`, data),
    read: (name: string) => store.get(`${prefix}/${name}`),
  };
}

/**
 * Keys are counted per group, the first two segments (`models/<id>`, `datasets/<id>`,
 * `checkpoints/<jobId>`): one Redis hash per group maps the rest of the key to its size, so
 * removing a model or a dataset frees its bytes without scanning anything else.
 */
function splitGroup(key: string): { group: string; rest: string } {
  const parts = key.split('/');
  if (parts.length < 2) return { group: parts[0]!, rest: '' };
  return { group: `${parts[0]}/${parts[1]}`, rest: parts.slice(2).join('/') };
}

/** KEYS: total, group hash. ARGV: field, bytes, quota. Reserves the size difference, or refuses past the quota. */
const reserveScript = `
local old = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local size = tonumber(ARGV[2])
local quota = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local delta = size - old
if quota > 0 and delta > 0 and used + delta > quota then return {0, used, old} end
redis.call('HSET', KEYS[2], ARGV[1], size)
return {1, redis.call('INCRBY', KEYS[1], delta), old}
`;

/** KEYS: total, group hash. ARGV: field prefix ('' = the whole group). Forgets the sizes of the removed keys; returns bytes freed. */
const releaseScript = `
local freed = 0
if ARGV[1] == '' then
  local values = redis.call('HVALS', KEYS[2])
  for _, v in ipairs(values) do freed = freed + tonumber(v) end
  redis.call('DEL', KEYS[2])
else
  local fields = redis.call('HKEYS', KEYS[2])
  local under = ARGV[1] .. '/'
  for _, f in ipairs(fields) do
    if f == ARGV[1] or string.sub(f, 1, #under) == under then
      freed = freed + tonumber(redis.call('HGET', KEYS[2], f))
      redis.call('HDEL', KEYS[2], f)
    end
  end
end
if freed ~= 0 then redis.call('DECRBY', KEYS[1], freed) end
return freed
`;

/** KEYS: total, group hash. ARGV: field, bytes. Counts a file found on disk unless it is counted already. */
const indexScript = `
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[2]) end
return 1
`;

export interface MeteredArtifactStoreOptions {
  redis: Redis;
  /** Redis key prefix (`QUEUE_PREFIX`). */
  prefix: string;
  /** Largest total size in bytes; 0 for no limit. */
  quotaBytes: number;
}

/**
 * A file system store that counts its bytes in Redis (shared by every API and worker process) and
 * refuses puts past a quota. The count is kept per key as it is written and removed, so each put
 * or remove costs one small script; a store that predates the counter is indexed once, by the
 * first process that starts on it (`indexExisting`).
 */
export class MeteredArtifactStore implements ArtifactStore {
  readonly location: string;

  constructor(
    readonly inner: FileSystemArtifactStore,
    private readonly options: MeteredArtifactStoreOptions,
  ) {
    this.location = inner.location;
  }

  private key = (...parts: string[]) => [this.options.prefix, 'store', ...parts].join(':');

  async put(key: string, data: Uint8Array): Promise<void> {
    assertKey(key);
    const { group, rest } = splitGroup(key);
    const [admitted, used, old] = (await this.options.redis.eval(reserveScript, 2, this.key('bytes'), this.key('files', group), rest, data.byteLength, this.options.quotaBytes)) as [
      number,
      number,
      number,
    ];
    if (admitted !== 1) throw new StoreQuotaExceededError(key, data.byteLength, used, this.options.quotaBytes);
    try {
      await this.inner.put(key, data);
    } catch (error) {
      // Give the reservation back: the key keeps its old bytes (or none).
      await this.options.redis
        .eval(reserveScript, 2, this.key('bytes'), this.key('files', group), rest, old, 0)
        .then(() => (old === 0 ? this.options.redis.hdel(this.key('files', group), rest) : undefined))
        .catch(() => undefined);
      throw error;
    }
  }

  get(key: string): Promise<Uint8Array> {
    return this.inner.get(key);
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  async remove(keyOrPrefix: string): Promise<void> {
    assertKey(keyOrPrefix);
    const { group, rest } = splitGroup(keyOrPrefix);
    await this.inner.remove(keyOrPrefix);
    if (rest === '' && !keyOrPrefix.includes('/')) {
      // A whole top-level folder (`models`): rare, so its groups are found by scanning.
      await this.options.redis.eval(releaseScript, 2, this.key('bytes'), this.key('files', group), '');
      let cursor = '0';
      do {
        const [next, keys] = await this.options.redis.scan(cursor, 'MATCH', this.key('files', `${group}/*`), 'COUNT', 500);
        cursor = next;
        for (const hash of keys) await this.options.redis.eval(releaseScript, 2, this.key('bytes'), hash, '');
      } while (cursor !== '0');
      return;
    }
    await this.options.redis.eval(releaseScript, 2, this.key('bytes'), this.key('files', group), rest);
  }

  async usage(): Promise<StoreUsage> {
    const used = await this.options.redis.get(this.key('bytes'));
    return { usedBytes: Number(used ?? 0), quotaBytes: this.options.quotaBytes };
  }

  /**
   * Counts files already on disk that the counter does not know (a store from before the counter,
   * or one copied in). Runs once per store and prefix: a marker in Redis says it was done.
   */
  async indexExisting(): Promise<void> {
    const marker = this.key('indexed');
    if (await this.options.redis.exists(marker)) return;
    for await (const { key, bytes } of this.inner.files()) {
      const { group, rest } = splitGroup(key);
      await this.options.redis.eval(indexScript, 2, this.key('bytes'), this.key('files', group), rest, bytes);
    }
    await this.options.redis.set(marker, new Date().toISOString());
  }
}

/**
 * The store of a process: the directory of `MODEL_STORE_DIR`, counted in Redis against
 * `STORE_QUOTA_BYTES`. Call `indexExisting()` once Redis answers to count files from before.
 */
export function createArtifactStore(options: { dir: string } & MeteredArtifactStoreOptions): MeteredArtifactStore {
  return new MeteredArtifactStore(new FileSystemArtifactStore(options.dir), options);
}
