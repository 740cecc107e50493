/** Something that holds memory until disposed: a loaded tfjs model. */
export interface Disposable {
  dispose(): void;
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
}

/**
 * Loaded models, least recently used evicted first, bounded by bytes of weights. Evicted models
 * are disposed. Callers use a model through `use`, whose callback is synchronous, so a model can
 * never be evicted (and disposed) while a forecast is running on it.
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
    const cached = this.entries.get(id);
    if (cached) {
      this.counters.hits++;
      this.touch(id, cached);
      return { value: fn(cached.model), hit: true };
    }
    this.counters.misses++;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load().finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    const entry = await pending;
    const current = this.entries.get(id);
    if (current) return { value: fn(current.model), hit: false };
    if (!this.admit(id, entry)) {
      try {
        return { value: fn(entry.model), hit: false };
      } finally {
        entry.model.dispose();
      }
    }
    return { value: fn(entry.model), hit: false };
  }

  /** Adds a model already in memory (just trained). False when not kept (too big, or already cached): the caller disposes it. */
  add(id: string, model: T, bytes: number): boolean {
    if (this.entries.has(id)) return false;
    return this.admit(id, { model, bytes });
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  stats(): ModelCacheStats {
    return { ...this.counters, bytes: this.bytes, entries: this.entries.size, maxBytes: this.maxBytes };
  }

  clear(): void {
    for (const entry of this.entries.values()) entry.model.dispose();
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
      oldest.model.dispose();
    }
    this.entries.set(id, entry);
    this.bytes += entry.bytes;
    return true;
  }
}
