// Bootstrap of an upload parse thread. Loader hooks that run TypeScript in the parent
// (tsx, vitest) do not reach worker threads, so a `.ts` entry registers tsx here first.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
