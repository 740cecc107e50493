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

interface Target {
  url: string;
  inFlightSince?: number;
}

export class HealthProbe {
  private readonly targets = new Map<string, Target>();
  private readonly windows = new Set<{ worstMs: number; where: string }>();
  private timer?: NodeJS.Timeout;

  add(name: string, url: string): void {
    this.targets.set(name, { url });
  }

  /** Before a target is stopped on purpose: its missing answers are not a stall. */
  remove(name: string): void {
    this.targets.delete(name);
  }

  start(intervalMs = 100): void {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  window(): ProbeWindow {
    const window = { worstMs: 0, where: '' };
    this.windows.add(window);
    return {
      end: () => {
        this.windows.delete(window);
        const now = performance.now();
        for (const [name, target] of this.targets) {
          if (target.inFlightSince !== undefined) this.record(window, name, now - target.inFlightSince);
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
    const deadline = performance.now() + maxWaitMs;
    while (performance.now() < deadline) {
      const now = performance.now();
      if (![...this.targets.values()].some((t) => t.inFlightSince !== undefined && now - t.inFlightSince > slowMs)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private record(window: { worstMs: number; where: string }, name: string, ms: number): void {
    if (ms > window.worstMs) {
      window.worstMs = ms;
      window.where = name;
    }
  }

  private tick(): void {
    for (const [name, target] of this.targets) {
      if (target.inFlightSince !== undefined) continue;
      const started = performance.now();
      target.inFlightSince = started;
      fetch(target.url, { signal: AbortSignal.timeout(120_000) })
        .then(async (response) => {
          await response.arrayBuffer();
          return true;
        })
        // Refused or cut: the process is down (killed on purpose, or not up yet); not a latency.
        .catch((error: unknown) => error instanceof Error && error.name === 'TimeoutError')
        .then((answered) => {
          target.inFlightSince = undefined;
          if (!answered || this.targets.get(name) !== target) return;
          const ms = performance.now() - started;
          for (const window of this.windows) this.record(window, name, ms);
        });
    }
  }
}
