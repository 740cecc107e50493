/** Something that holds memory until disposed: a loaded tfjs model. */
export interface Disposable {
  dispose(): void;
}

/** What every family's trained model offers the cache: it holds memory until disposed, and says how much. */
export interface TrainedModel extends Disposable {
  byteSize(): number;
}

export interface ModelCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  bytes: number;
  entries: number;
  maxBytes: number;
}

interface Entry<T> {
  model: T;
  bytes: number;
  /** Callers of `useAsync` still running on it: an evicted model is disposed when the last one ends. */
  users: number;
  evicted: boolean;
}

/**
 * Loaded models, least recently used evicted first, bounded by bytes of weights. Evicted models
 * are disposed. Callers use a model through `use` (a synchronous callback) or `useAsync` (which
 * holds the model until its promise settles), so a model is never disposed while in use.
 */
export class ModelCache<T extends Disposable> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly loading = new Map<string, Promise<Entry<T>>>();
  private bytes = 0;
  private readonly counters = { hits: 0, misses: 0, evictions: 0 };

  constructor(readonly maxBytes: number) {}

  /**
   * Runs `fn` on the model `id`, loading it on a miss (concurrent misses share one load).
   * A model larger than the whole cache is used once and disposed.
   */
  async use<R>(id: string, load: () => Promise<{ model: T; bytes: number }>, fn: (model: T) => R): Promise<{ value: R; hit: boolean }> {
    const { entry, hit } = await this.acquire(id, load);
    try {
      return { value: fn(entry.model), hit };
    } finally {
      this.release(entry);
    }
  }

  /** Like `use` for an asynchronous `fn` (a streamed generation): the model stays alive until it settles, even if evicted meanwhile. */
  async useAsync<R>(id: string, load: () => Promise<{ model: T; bytes: number }>, fn: (model: T) => Promise<R>): Promise<{ value: R; hit: boolean }> {
    const { entry, hit } = await this.acquire(id, load);
    try {
      return { value: await fn(entry.model), hit };
    } finally {
      this.release(entry);
    }
  }

  private async acquire(id: string, load: () => Promise<{ model: T; bytes: number }>): Promise<{ entry: Entry<T>; hit: boolean }> {
    const cached = this.entries.get(id);
    if (cached) {
      this.counters.hits++;
      this.touch(id, cached);
      cached.users++;
      return { entry: cached, hit: true };
    }
    this.counters.misses++;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load()
        .then(({ model, bytes }): Entry<T> => ({ model, bytes, users: 0, evicted: false }))
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    const loaded = await pending;
    const entry = this.entries.get(id) ?? loaded;
    // A model the cache cannot keep is disposed once its last concurrent user is done.
    if (entry === loaded && !this.entries.has(id) && !this.admit(id, loaded)) loaded.evicted = true;
    entry.users++;
    return { entry, hit: false };
  }

  private release(entry: Entry<T>): void {
    entry.users--;
    if (entry.evicted && entry.users === 0) entry.model.dispose();
  }

  /** Adds a model already in memory (just trained). False when not kept (too big, or already cached): the caller disposes it. */
  add(id: string, model: T, bytes: number): boolean {
    if (this.entries.has(id)) return false;
    return this.admit(id, { model, bytes, users: 0, evicted: false });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  stats(): ModelCacheStats {
    return { ...this.counters, bytes: this.bytes, entries: this.entries.size, maxBytes: this.maxBytes };
  }

  clear(): void {
    for (const entry of this.entries.values()) {
      entry.evicted = true;
      if (entry.users === 0) entry.model.dispose();
    }
    this.entries.clear();
    this.bytes = 0;
  }

  private touch(id: string, entry: Entry<T>): void {
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  private admit(id: string, entry: Entry<T>): boolean {
    if (this.maxBytes === 0 || entry.bytes > this.maxBytes) return false;
    while (this.bytes + entry.bytes > this.maxBytes) {
      const [oldestId, oldest] = this.entries.entries().next().value!;
      this.entries.delete(oldestId);
      this.bytes -= oldest.bytes;
      this.counters.evictions++;
      oldest.evicted = true;
      if (oldest.users === 0) oldest.model.dispose();
    }
    this.entries.set(id, entry);
    this.bytes += entry.bytes;
    return true;
  }
}
