import type { ModelRecord } from '@mlq/specs';
import type { ModelRegistry } from './registry.ts';

/** A model reference resolved: its record, the registry generation it holds for, and whether it came from memory. */
export interface ResolvedModel {
  record: ModelRecord;
  /** The registry's generation when the record was read: a claim given it fails if the registry changed since. */
  generation: number;
  cached: boolean;
}

/** How many references one process remembers; past it, the oldest is forgotten. */
const DEFAULT_MAX_ENTRIES = 4096;

/**
 * Model references (an id, `name`, `name@latest`, `name@N`) resolved earlier by this process, kept
 * in memory so that a prediction costs no registry round trip. Every entry holds for one registry
 * generation (a counter in Redis that every registration and deletion increments, in the same
 * script as the change), and nothing here is trusted without a check against Redis on the way:
 * - the API passes the generation to the usage claim it makes anyway (one script): a registration
 *   or deletion since fails the claim, and the reference is resolved again (`RegistryChangedError`);
 * - the worker reads the generation in the same round trip as its crash accounting when a job
 *   starts (`sync`).
 * So a new version, or a deletion, is seen by every process at the next request, with no window
 * and nothing to miss (no invalidation message that a reconnect could lose). Errors are never
 * answered from memory: callers resolve again (`resolveFresh`) before refusing a request.
 */
export class ModelReferences {
  private readonly entries = new Map<string, ModelRecord>();
  /** The generation every entry holds for; -1 before the first read. */
  private generation = -1;

  constructor(
    readonly registry: ModelRegistry,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** The record `reference` resolves to: from memory when held, else read (and kept). Throws `ModelNotFoundError`. */
  async resolve(reference: string): Promise<ResolvedModel> {
    const record = this.entries.get(reference);
    if (record) return { record, generation: this.generation, cached: true };
    return this.resolveFresh(reference);
  }

  /** Reads the reference from Redis, never from memory, and keeps what it read. Throws `ModelNotFoundError`. */
  async resolveFresh(reference: string): Promise<ResolvedModel> {
    const { record, generation } = await this.registry.resolveWithGeneration(reference);
    // A read older than what is held (a reply overtaken by another connection's) is used, not kept.
    if (generation > this.generation) this.adopt(generation);
    if (generation === this.generation) this.remember(reference, record);
    return { record, generation, cached: false };
  }

  /** Reads the registry's generation now and forgets every entry read at another one. */
  async sync(): Promise<void> {
    this.adopt(await this.registry.generation());
  }

  /** The registry is at `generation` now (a claim said so): entries of any other generation go. */
  adopt(generation: number): void {
    if (generation === this.generation) return;
    this.entries.clear();
    this.generation = generation;
  }

  /** How many references are held. */
  get size(): number {
    return this.entries.size;
  }

  private remember(reference: string, record: ModelRecord): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(reference)) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(reference, record);
  }
}
