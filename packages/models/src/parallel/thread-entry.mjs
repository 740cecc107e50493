// Bootstrap of a data-parallel replica thread. Loader hooks that run TypeScript in the parent
// (tsx, vitest) do not reach worker threads, so a `.ts` entry registers tsx here first; it stays
// registered for the whole thread, so the `.ts` objective modules a training names load through it too.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
