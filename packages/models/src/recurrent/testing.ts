import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { createRandom } from '../samples/synthetic.ts';

/** A seeded uniform tensor in [−scale, scale]: the same values on every backend. */
export function randomTensor(shape: number[], seed: number, scale = 1): tf.Tensor {
  const random = createRandom(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => (random() * 2 - 1) * scale),
    shape,
  );
}

/** Relative error `|a − b| / max(|b|, 1)` at most `tolerance` everywhere, shapes equal. */
export function expectClose(actual: tf.Tensor, expected: tf.Tensor, what: string, tolerance = 1e-4): void {
  expect(actual.shape, what).toEqual(expected.shape);
  const a = actual.dataSync();
  const b = expected.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1));
  expect(worst, `${what}: worst relative error`).toBeLessThanOrEqual(tolerance);
}
