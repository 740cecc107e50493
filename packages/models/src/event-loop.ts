import { TrainingCancelledError } from './errors.ts';

/** Longest stretch of synchronous model work between two returns to the event loop. */
export const YIELD_BUDGET_MS = 25;

/**
 * Hands the event loop back (a macrotask: timers and I/O run before the work goes on) whenever
 * `budgetMs` have passed since the last time, so a queue worker renews its job lock and answers
 * /healthz during a long forecast, generation or evaluation. `signal` is checked at each call.
 */
export class EventLoopYielder {
  #last = performance.now();

  constructor(
    private readonly signal?: AbortSignal,
    private readonly budgetMs = YIELD_BUDGET_MS,
  ) {}

  /** Yields when the budget is spent; rejects with `TrainingCancelledError` once `signal` aborted. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.#last >= this.budgetMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.#last = performance.now();
    }
    if (this.signal?.aborted) throw new TrainingCancelledError(this.signal.reason);
  }
}
