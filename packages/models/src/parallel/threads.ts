import * as tf from '@tensorflow/tfjs-core';
import { ModelConfigError } from '../errors.ts';

/**
 * The threads a training step of `rows` rows (windows) can use of `threads` asked for: each gets
 * at least `minRowsPerThread` rows, and tfjs-node (`tensorflow`) runs on one, as TensorFlow
 * threads its kernels itself.
 */
export function usableTrainingThreads(threads: number, rows: number, minRowsPerThread: number): number {
  if (!Number.isInteger(threads) || threads < 1) throw new ModelConfigError('threads', `must be a positive integer, got ${String(threads)}`);
  if (tf.getBackend() === 'tensorflow') return 1;
  return Math.max(1, Math.min(threads, Math.floor(rows / minRowsPerThread)));
}
