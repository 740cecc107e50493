/**
 * Wraps a loader so that it runs once per process and later calls share its promise; a failed
 * load is forgotten so that a later call retries. For builtin datasets, whose results are immutable.
 */
export function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
