import { mkdir, readFile, rename, rm, writeFile, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';

/** Raised when an artifact does not exist. */
export class ArtifactNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`artifact not found: ${key}`);
    this.name = 'ArtifactNotFoundError';
  }
}

/**
 * Where large outputs live (model weights, uploaded datasets). Keys are `/`-separated relative
 * paths such as `models/<id>/weights.bin`. Implementations must make `put` atomic: a reader
 * sees the old bytes or the new ones, never half a file.
 */
export interface ArtifactStore {
  /** Human-readable location, recorded in the registry (`file:///data/store`). */
  readonly location: string;
  put(key: string, data: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array>;
  exists(key: string): Promise<boolean>;
  /** Removes a key or everything under a `prefix/`. */
  remove(keyOrPrefix: string): Promise<void>;
}

const safeKey = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

function assertKey(key: string): void {
  if (!safeKey.test(key) || key.split('/').some((part) => part === '.' || part === '..')) {
    throw new Error(`invalid artifact key: ${JSON.stringify(key)}`);
  }
}

/** A directory on disk: a shared volume (compose, k8s ReadWriteMany) when workers are many. */
export class FileSystemArtifactStore implements ArtifactStore {
  readonly root: string;
  readonly location: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.location = `file://${this.root}`;
  }

  private resolve(key: string): string {
    assertKey(key);
    return path.join(this.root, ...key.split('/'));
  }

  async put(key: string, data: Uint8Array): Promise<void> {
    const target = this.resolve(key);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${randomUUID()}.tmp`;
    await writeFile(temporary, data);
    await rename(temporary, target);
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.resolve(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new ArtifactNotFoundError(key);
      throw error;
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
    await rm(this.resolve(keyOrPrefix), { recursive: true, force: true });
  }
}

/** Reads and writes named files under one prefix: what `@mlq/models`' save/load expect. */
export function scopedArtifacts(store: ArtifactStore, prefix: string) {
  return {
    write: (name: string, data: Uint8Array) => store.put(`${prefix}/${name}`, data),
    read: (name: string) => store.get(`${prefix}/${name}`),
  };
}
