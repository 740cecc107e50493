/**
 * Errors that mean the WebAssembly heap of the tfjs wasm backend is broken: a trap from an access
 * past the heap (what a failed allocation near 4 GiB becomes), Emscripten's abort (every later
 * call into the module then throws "Aborted()"), or a failed heap growth. Nothing run on that
 * backend in this process can succeed again; the process must be restarted.
 */
export function isWasmHeapFailure(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    // WebAssembly.RuntimeError: a trap (the name is the only way in without the DOM typings).
    if (current.name === 'RuntimeError') return true;
    if (/memory access out of bounds|^Aborted\(|Cannot enlarge memory|WebAssembly\.Memory\.grow|out of memory/i.test(current.message)) return true;
  }
  return false;
}

/** Whether this process' tfjs backend can still run models; /healthz answers 503 once it cannot. */
export class BackendHealth {
  #failure: string | undefined;
  readonly #listeners = new Set<(reason: string) => void>();

  get usable(): boolean {
    return this.#failure === undefined;
  }

  get failure(): string | undefined {
    return this.#failure;
  }

  /** Records the first failure; later ones are consequences of it. Returns true the first time. */
  markFailed(reason: string): boolean {
    if (this.#failure !== undefined) return false;
    this.#failure = reason;
    for (const listener of this.#listeners) listener(reason);
    return true;
  }

  /** Calls `listener` with the failure when it happens (at once if it already has); returns the unsubscribe. */
  subscribe(listener: (reason: string) => void): () => void {
    if (this.#failure !== undefined) listener(this.#failure);
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
