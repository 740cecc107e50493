import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * One-step predictions for many windows at once: input windows of scaled values, each of length
 * `window` (as one flat array, `[count · window]`), output `count` scaled predictions.
 */
export function predictNextValues(model: tfl.LayersModel, windows: Float32Array, window: number): number[] {
  const count = windows.length / window;
  const values = tf.tidy(() => (model.predict(tf.tensor3d(windows, [count, window, 1])) as tf.Tensor).dataSync());
  return Array.from(values);
}

/**
 * Recursive multi-step forecast: predict the next value from the last `window` values, append
 * it, repeat `horizon` times. Works on scaled values; returns `horizon` scaled predictions.
 */
export function forecastRecursive(model: tfl.LayersModel, history: readonly number[], window: number, horizon: number): number[] {
  const buffer = history.slice(-window);
  const forecast: number[] = [];
  for (let step = 0; step < horizon; step++) {
    const [next] = predictNextValues(model, Float32Array.from(buffer.slice(-window)), window);
    forecast.push(next!);
    buffer.push(next!);
  }
  return forecast;
}
