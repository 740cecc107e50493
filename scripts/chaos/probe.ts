import { Worker } from 'node:worker_threads';
/**
 * Calls every `/healthz` (the APIs' and each worker's metrics port) about every 100 ms, one
 * request in flight per target, and remembers the slowest answer per open window, so each
 * scenario can report the worst stall it caused. A request still unanswered counts with the
 * time it has waited so far.
 */
export interface ProbeWindow {
  /** Stops measuring; the worst latency seen, in ms, and where. */
  end(): { worstMs: number; where: string };
}

/** Targets the probe can hold at once (APIs and workers, restarted ones included). */
const MAX_TARGETS = 256;

/**
 * The requests themselves are sent and timed on a thread (probe-thread.mjs), so the figures are
 * the system's latency, not this busy process' event loop: answers come back as messages, and
 * requests still in flight are read from shared memory when a window ends.
 */
export class HealthProbe {
  private readonly slots = new Map<string, number>();
  private nextSlot = 0;
  private readonly inFlight = new Float64Array(new SharedArrayBuffer(MAX_TARGETS * Float64Array.BYTES_PER_ELEMENT));
  private readonly windows = new Set<{ worstMs: number; where: string; since: number }>();
  private thread?: Worker;
  /** Messages for the thread before it starts. */
  private readonly pending: Array<Record<string, unknown>> = [];

  private send(message: Record<string, unknown>): void {
    if (this.thread) this.thread.postMessage(message);
    else this.pending.push(message);
  }

  add(name: string, url: string): void {
    const slot = this.nextSlot++ % MAX_TARGETS;
    this.slots.set(name, slot);
    this.send({ type: 'add', slot, name, url });
  }

  /** Before a target is stopped on purpose: its missing answers are not a stall. */
  remove(name: string): void {
    const slot = this.slots.get(name);
    if (slot === undefined) return;
    this.slots.delete(name);
    this.inFlight[slot] = 0;
    this.send({ type: 'remove', slot });
  }

  start(intervalMs = 100): void {
    this.thread = new Worker(new URL('./probe-thread.mjs', import.meta.url), { workerData: { inFlight: this.inFlight.buffer, intervalMs } });
    this.thread.unref();
    for (const message of this.pending.splice(0)) this.thread.postMessage(message);
    this.thread.on('message', ({ name, startedAt, ms }: { name: string; startedAt: number; ms: number }) => {
      for (const window of this.windows) if (startedAt >= window.since) this.record(window, name, ms);
    });
  }

  stop(): void {
    this.thread?.postMessage({ type: 'stop' });
    void this.thread?.terminate();
    this.thread = undefined;
  }

  window(): ProbeWindow {
    const window = { worstMs: 0, where: '', since: Date.now() };
    this.windows.add(window);
    return {
      end: () => {
        this.windows.delete(window);
        const now = Date.now();
        for (const [name, slot] of this.slots) {
          const since = this.inFlight[slot]!;
          if (since !== 0) this.record(window, name, now - Math.max(since, window.since));
        }
        return { worstMs: Math.round(window.worstMs), where: window.where };
      },
    };
  }

  /**
   * Waits (up to `maxWaitMs`) until no probe has been waiting longer than `slowMs`, so a stall a
   * scenario caused is not counted again in the next one.
   */
  async quiet(maxWaitMs = 60_000, slowMs = 300): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    while (Date.now() < deadline) {
      const now = Date.now();
      if (![...this.slots.values()].some((slot) => this.inFlight[slot] !== 0 && now - this.inFlight[slot]! > slowMs)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private record(window: { worstMs: number; where: string }, name: string, ms: number): void {
    if (ms > window.worstMs) {
      window.worstMs = ms;
      window.where = name;
    }
  }
}
