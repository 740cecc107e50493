import { formatBytes } from '@mlq/jobs';

/** What the guard watches: the process' resident memory and, on wasm, the main thread's heap. */
export interface MemoryGuardOptions {
  /** Resident memory past which the jobs watched are aborted. */
  rssLimitBytes: number;
  /** A wasm heap that grew past this while a job ran aborts it (the heap traps at 4 GiB). */
  heapLimitBytes: number;
  /** The wasm heap's size now, or undefined off wasm. */
  readHeapBytes: () => number | undefined;
  /** @defaultValue 250 */
  intervalMs?: number;
}

/**
 * Growth a job must add before the resident-memory limit applies to it: a wasm heap never shrinks,
 * so after a large training the process may stay above the limit with the heap free inside, and
 * the next job (which reuses that space) must not be blamed for it.
 */
const RSS_GROWTH_MARGIN_BYTES = 32 * 1024 * 1024;

interface Watched {
  abort: (detail: string) => void;
  rssAtStart: number;
  heapAtStart: number | undefined;
  aborted: boolean;
}

/**
 * Samples memory while jobs run and aborts a training that takes the process past its limit, so
 * the job fails for good with a reason ("exceeded the memory budget…") instead of the kernel
 * killing the process (and every job in it) without one. Samples run on the event loop, between
 * the training's batches, which is also when an aborted training stops.
 */
export class MemoryGuard {
  readonly #watched = new Map<string, Watched>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: MemoryGuardOptions) {}

  /** Watches one job until the returned function is called; `abort` is called at most once. */
  watch(jobId: string, abort: (detail: string) => void): () => void {
    const entry: Watched = { abort, rssAtStart: process.memoryUsage.rss(), heapAtStart: this.options.readHeapBytes(), aborted: false };
    this.#watched.set(jobId, entry);
    this.#timer ??= setInterval(() => this.sample(), this.options.intervalMs ?? 250).unref();
    return () => {
      if (this.#watched.get(jobId) === entry) this.#watched.delete(jobId);
      if (this.#watched.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  /** One sample: aborts every watched job that took the process past a limit. */
  sample(): void {
    const rss = process.memoryUsage.rss();
    const heap = this.options.readHeapBytes();
    for (const entry of this.#watched.values()) {
      if (entry.aborted) continue;
      let detail: string | undefined;
      if (rss > this.options.rssLimitBytes && rss > entry.rssAtStart + RSS_GROWTH_MARGIN_BYTES) {
        detail = `the worker's resident memory reached ${formatBytes(rss)}, past its limit of ${formatBytes(this.options.rssLimitBytes)}`;
      } else if (heap !== undefined && heap > this.options.heapLimitBytes && heap > (entry.heapAtStart ?? 0)) {
        detail = `the WebAssembly heap grew to ${formatBytes(heap)}, past ${formatBytes(this.options.heapLimitBytes)} (it fails at 4 GiB)`;
      }
      if (detail) {
        entry.aborted = true;
        entry.abort(detail);
      }
    }
  }
}
