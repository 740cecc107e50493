// Helpers shared by the in-process model sections of `npm run bench` (textgen, seq2seq, textgen-quality).
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '@mlq/models';

export interface ModelBenchOptions {
  /** BENCH_QUICK=1: every run shrunk to a few seconds (a smoke test, not figures). */
  quick: boolean;
}

/** The backend the model sections run on: TF_BACKEND, else `auto` (as the `training` section). */
export async function modelBackend(): Promise<string> {
  return (await initBackend((process.env.TF_BACKEND as BackendName | undefined) ?? 'auto')).name;
}

/** Seconds since `start` (a `performance.now()` value). */
export const secondsSince = (start: number) => (performance.now() - start) / 1000;

/**
 * Runs a section and prints the live tensor count before it and after it (every model it made
 * disposed by then): equal counts mean it leaked nothing.
 */
export async function withTensorCount(section: string, body: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await body();
  const after = tf.memory().numTensors;
  console.log(`  ${section} tensors: ${before} before, ${after} after every model disposed${after === before ? '' : ` (LEAK: ${after - before} left)`}`);
}
