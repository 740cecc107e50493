import * as tf from '@tensorflow/tfjs-core';
import { InvalidSeriesError } from '../errors.ts';

/** Min–max scaling to [0, 1], fitted on training data only and stored with the model. */
export interface MinMaxScaler {
  min: number;
  max: number;
}

export function fitScaler(values: readonly number[]): MinMaxScaler {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

const span = (s: MinMaxScaler) => (s.max - s.min === 0 ? 1 : s.max - s.min);
export const scale = (s: MinMaxScaler, values: readonly number[]) => values.map((v) => (v - s.min) / span(s));
export const unscale = (s: MinMaxScaler, values: readonly number[]) => values.map((v) => v * span(s) + s.min);

/** Throws naming the first value that is not a finite number. */
export function assertFiniteSeries(values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new InvalidSeriesError(`series value at index ${i} is ${String(values[i])}, not a finite number`);
    }
  }
}

/**
 * Sliding windows over a (scaled) series: input `[count, window, 1]`, target `[count, 1]`, where
 * count = values.length - window and target i is the value right after window i.
 */
export function createWindows(values: readonly number[], window: number): { xs: tf.Tensor3D; ys: tf.Tensor2D; count: number } {
  const count = values.length - window;
  const inputs = new Float32Array(count * window);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < window; j++) inputs[i * window + j] = values[i + j]!;
    targets[i] = values[i + window]!;
  }
  return { xs: tf.tensor3d(inputs, [count, window, 1]), ys: tf.tensor2d(targets, [count, 1]), count };
}
