import * as tf from '@tensorflow/tfjs-core';
import { InvalidSeriesError } from '../errors.ts';

/**
 * How closes become network inputs and targets; fitted on the training part only and stored
 * with the model.
 * - `relative`: each window is expressed relative to its last close (vᵢ / v_last − 1) and the
 *   target is the next one-step return, both divided by the training returns' standard
 *   deviation. Prices that grow by orders of magnitude (Bitcoin: 135 → 4,900) stay in range.
 * - `minmax`: (v − min) / (max − min) over the training part, for series with zeros or negatives.
 */
export type PriceScaler = { kind: 'minmax'; min: number; max: number } | { kind: 'relative'; scale: number };

export type ScalingChoice = 'auto' | 'relative' | 'minmax';

/** `auto` is `relative` when every training close is positive, else `minmax`. */
export function fitPriceScaler(choice: ScalingChoice, train: readonly number[]): PriceScaler {
  const positive = train.every((v) => v > 0);
  const kind = choice === 'auto' ? (positive ? 'relative' : 'minmax') : choice;
  if (kind === 'relative') {
    if (!positive) throw new InvalidSeriesError('relative scaling needs positive closes; use scaling "minmax"');
    const returns = train.slice(1).map((v, i) => v / train[i]! - 1);
    const mean = returns.reduce((s, r) => s + r, 0) / Math.max(1, returns.length);
    const std = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(1, returns.length));
    return { kind, scale: std > 0 ? std : 1 };
  }
  let min = Infinity;
  let max = -Infinity;
  for (const v of train) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { kind, min, max };
}

const span = (s: { min: number; max: number }) => (s.max - s.min === 0 ? 1 : s.max - s.min);

/** Network input for one window of closes (oldest first): `[window]` values. */
export function encodeWindow(scaler: PriceScaler, window: readonly number[]): Float32Array {
  const last = window[window.length - 1]!;
  return Float32Array.from(window, (v) => (scaler.kind === 'relative' ? (v / last - 1) / scaler.scale : (v - scaler.min) / span(scaler)));
}

/** Training target for the close that follows a window ending at `last`. */
export function encodeTarget(scaler: PriceScaler, last: number, next: number): number {
  return scaler.kind === 'relative' ? (next / last - 1) / scaler.scale : (next - scaler.min) / span(scaler);
}

/** The close a network output stands for, after a window ending at `last`. */
export function decodePrediction(scaler: PriceScaler, last: number, output: number): number {
  return scaler.kind === 'relative' ? last * (1 + output * scaler.scale) : output * span(scaler) + scaler.min;
}

/** Throws naming the first value that is not a finite number. */
export function assertFiniteSeries(values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) {
      throw new InvalidSeriesError(`series value at index ${i} is ${String(values[i])}, not a finite number`);
    }
  }
}

/**
 * Sliding windows over closes: inputs `[count, window, 1]`, targets `[count, 1]`, where
 * count = closes.length − window and target i encodes the close right after window i.
 */
export function createWindows(closes: readonly number[], window: number, scaler: PriceScaler): { xs: tf.Tensor3D; ys: tf.Tensor2D; count: number } {
  const count = closes.length - window;
  const inputs = new Float32Array(count * window);
  const targets = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const slice = closes.slice(i, i + window);
    inputs.set(encodeWindow(scaler, slice), i * window);
    targets[i] = encodeTarget(scaler, slice[window - 1]!, closes[i + window]!);
  }
  return { xs: tf.tensor3d(inputs, [count, window, 1]), ys: tf.tensor2d(targets, [count, 1]), count };
}
