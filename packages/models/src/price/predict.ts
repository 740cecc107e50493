import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { decodePrediction, encodeWindow, type PriceScaler } from './data.ts';

/**
 * Network outputs for many encoded windows at once: `windows` holds `count` windows of
 * `window` values back to back (`[count · window]`); returns `count` outputs.
 */
export function predictNextValues(model: tfl.LayersModel, windows: Float32Array, window: number): number[] {
  const count = windows.length / window;
  const values = tf.tidy(() => (model.predict(tf.tensor3d(windows, [count, window, 1])) as tf.Tensor).dataSync());
  return Array.from(values);
}

/**
 * One-step predictions of the close after each window: `windows` holds `count` arrays of
 * `window` closes (oldest first); returns `count` closes, in one forward pass `[count, window, 1]`.
 */
export function predictNextCloses(model: tfl.LayersModel, scaler: PriceScaler, windows: ReadonlyArray<readonly number[]>, window: number): number[] {
  const encoded = new Float32Array(windows.length * window);
  windows.forEach((w, i) => encoded.set(encodeWindow(scaler, w), i * window));
  return predictNextValues(model, encoded, window).map((output, i) => decodePrediction(scaler, windows[i]![window - 1]!, output));
}

/**
 * Recursive multi-step forecast: predict the next close from the last `window` closes of
 * `history` (oldest first, at least `window` of them), append it, repeat `horizon` times.
 * Closes in, `horizon` closes out; one `[1, window, 1]` forward pass per step, each tidied.
 */
export function forecastRecursive(model: tfl.LayersModel, scaler: PriceScaler, history: readonly number[], window: number, horizon: number): number[] {
  const buffer = history.slice(-window);
  const forecast: number[] = [];
  for (let step = 0; step < horizon; step++) {
    const [next] = predictNextCloses(model, scaler, [buffer.slice(-window)], window);
    forecast.push(next!);
    buffer.push(next!);
  }
  return forecast;
}
